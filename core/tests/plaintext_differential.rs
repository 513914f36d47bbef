//! The plaintext reader against CPython running carbon's own line code, on 200,000 generated lines.
//!
//! Each line is bytes made to hit the edges: fields separated by runs of every Python whitespace
//! character and of near misses (U+200B, U+FEFF, U+180E, NUL, ESC), numbers in and around `float()`'s
//! grammar (underscores in every place, `0x10`, `0b11`, `0o17`, `inf`/`infinity`/`nan` in any case, signs,
//! exponents, Arabic-Indic and fullwidth digits, 1e999), `\r` anywhere, invalid UTF-8. CPython (the venv's
//! when `CARBON_PICKLE_PYTHON` points at it, else `python3`) applies exactly carbon 1.1.10's
//! `MetricLineReceiver.lineReceived` to each: `line.decode('utf-8')`, `line.strip().split()`, unpacking
//! into three names, `float(timestamp)`, `float(value)`, and records the outcome with `str.split()`'s
//! fields. Here every line goes through `parse_line` and the outcomes must agree:
//!
//! - not UTF-8 for CPython exactly when `InvalidUtf8` (at the same byte);
//! - the same number of fields (`FieldCount { found }` = `len(line.split())`);
//! - a datapoint carbon takes: the same path, value and timestamp bit for bit (a timestamp `None` exactly
//!   where carbon's `int(timestamp) == -1`), or our documented refusals of NaN and infinities where
//!   carbon's `float()` gave one;
//! - a line carbon refuses: refused here too, except two fields, which we take at "now" (our documented
//!   extension), and `Unsupported` for a number we do not evaluate (counted, and must stay rare).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use carbon_pickle::plaintext::{parse_line, Field, LineError};

fn python() -> String {
    match std::env::var("CARBON_PICKLE_PYTHON") {
        Ok(p) if std::path::Path::new(&p).exists() => p,
        _ => "python3".into(),
    }
}

/// carbon's lineReceived, with each step's outcome written out (one line of output per input line).
const CARBON: &str = r#"
import sys, struct
def bits(f):
    return struct.pack('>d', f).hex()
out = []
for hexline in sys.stdin.read().split():
    raw = bytes.fromhex(hexline) if hexline != '-' else b''
    try:
        line = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        out.append('utf8 %d' % e.start)
        continue
    fields = line.strip().split()
    first = fields[0].encode().hex() if fields else '-'
    try:
        metric, value, timestamp = line.strip().split()
        datapoint = (float(timestamp), float(value))
    except ValueError:
        # which fields float() takes, for the two-field extension and for the reason
        def ok(s):
            try:
                float(s)
                return '1'
            except ValueError:
                return '0'
        floats = ''.join(ok(f) for f in fields[1:3])
        out.append('refused %d %s %s' % (len(fields), first, floats or '-'))
        continue
    ts, v = datapoint
    minus_one = ts == ts and abs(ts) != float('inf') and int(ts) == -1
    out.append('ok %s %s %s %d' % (metric.encode().hex(), bits(v), bits(ts), minus_one))
print('\n'.join(out))
"#;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const SPACES: &[&str] = &[
    " ", " ", " ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\u{85}", "\u{a0}",
    "\u{1680}", "\u{2000}", "\u{2005}", "\u{200a}", "\u{2028}", "\u{2029}", "\u{202f}", "\u{205f}",
    "\u{3000}",
];
const NOT_SPACES: &[&str] = &[
    "\u{200b}", "\u{feff}", "\u{180e}", "\0", "\x1b", "\u{2060}", "\x7f",
];
const WORDS: &[&str] = &[
    "inf", "infinity", "nan", "Inf", "INFINITY", "NaN", "iNfInItY", "infinit", "na", "in",
];
const DIGITS: &[&str] = &[
    "0", "1", "2", "5", "7", "9", "\u{661}", "\u{669}", "\u{ff11}", "\u{ff10}", "\u{6f3}",
    "\u{e51}",
];

fn digits(rng: &mut Rng, s: &mut String) {
    let most = if rng.chance(5) { 30 } else { 6 };
    let n = 1 + rng.below(most);
    for i in 0..n {
        if i > 0 && rng.chance(8) {
            s.push('_');
            if rng.chance(10) {
                s.push('_');
            }
        }
        s.push_str(if rng.chance(94) {
            ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"][rng.below(10)]
        } else {
            rng.pick(DIGITS)
        });
    }
}

fn number(rng: &mut Rng) -> String {
    let mut s = String::new();
    match rng.below(20) {
        0 => {
            if rng.chance(40) {
                s.push(rng.pick(&['+', '-']));
            }
            s.push_str(rng.pick(WORDS));
            return s;
        }
        1 => {
            s.push_str(rng.pick(&["0x", "0X", "0b", "0o", "0O", "0B"]));
            s.push_str(rng.pick(&["10", "11", "17", "ff", "1_0"]));
            return s;
        }
        2 => {
            s.push_str(rng.pick(&[
                "-1", "-1.0", "-1.5", "-1.999", "-2", "-0.5", "-0", "-1e0", "-2.0",
            ]));
            return s;
        }
        3 => {
            s.push_str(rng.pick(&[
                "1e999",
                "-1e400",
                "1e-400",
                "1e308",
                "1.8e308",
                "4294967296",
                "4294967295.5",
            ]));
            return s;
        }
        _ => {}
    }
    if rng.chance(25) {
        s.push(rng.pick(&['+', '-']));
        if rng.chance(3) {
            s.push(rng.pick(&['+', '-']));
        }
    }
    if rng.chance(3) {
        s.push('_');
    }
    if rng.chance(90) {
        digits(rng, &mut s);
    }
    if rng.chance(30) {
        s.push('.');
        if rng.chance(4) {
            s.push('_');
        }
        if rng.chance(80) {
            digits(rng, &mut s);
        }
    }
    if rng.chance(15) {
        s.push(rng.pick(&['e', 'E']));
        if rng.chance(40) {
            s.push(rng.pick(&['+', '-']));
        }
        if rng.chance(3) {
            s.push('_');
        }
        if rng.chance(90) {
            digits(rng, &mut s);
        }
    }
    if rng.chance(3) {
        s.push(rng.pick(&['_', 'x', '.', 'e', 'L', 'j']));
    }
    s
}

fn path(rng: &mut Rng) -> String {
    let mut s = String::new();
    for i in 0..1 + rng.below(4) {
        if i > 0 {
            s.push('.');
        }
        s.push_str(rng.pick(&[
            "servers",
            "a",
            "cpu",
            "température",
            "ü",
            "x_1",
            "1",
            "нагрузка",
            "a;t=v",
            "\u{feff}a",
        ]));
    }
    if rng.chance(5) {
        s.push_str(rng.pick(NOT_SPACES));
        s.push('z');
    }
    s
}

fn separator(rng: &mut Rng, s: &mut Vec<u8>) {
    let most = if rng.chance(10) { 4 } else { 1 };
    for _ in 0..1 + rng.below(most) {
        s.extend_from_slice(rng.pick(SPACES).as_bytes());
    }
}

fn line(rng: &mut Rng) -> Vec<u8> {
    let mut s = Vec::new();
    if rng.chance(5) {
        separator(rng, &mut s);
    }
    let fields = match rng.below(20) {
        0 => 0,
        1 => 1,
        2 | 3 => 2,
        4 => 4,
        5 => 5 + rng.below(3),
        _ => 3,
    };
    for i in 0..fields {
        if i > 0 {
            separator(rng, &mut s);
        }
        let f = if i == 0 { path(rng) } else { number(rng) };
        s.extend_from_slice(f.as_bytes());
    }
    if rng.chance(5) {
        separator(rng, &mut s);
    }
    if rng.chance(3) {
        // invalid UTF-8 somewhere
        let at = rng.below(s.len() + 1);
        let bad: &[u8] = rng.pick(&[
            &b"\xff"[..],
            &b"\xe2\x80"[..],
            &b"\xc3"[..],
            &b"\xed\xa0\x80"[..],
            &b"\xf8\x88\x80\x80\x80"[..],
            &b"\x80"[..],
        ]);
        s.splice(at..at, bad.iter().copied());
    }
    if rng.chance(3) {
        let at = rng.below(s.len() + 1);
        s.insert(at, b'\r'); // a lone CR: whitespace (it may land inside a UTF-8 sequence: then not UTF-8)
    }
    s
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

#[test]
fn lines_are_read_as_carbon_reads_them() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let lines: Vec<Vec<u8>> = (0..200_000).map(|_| line(&mut rng)).collect();
    let input: String = lines.iter().map(|l| hex(l) + "\n").collect();

    let mut child = Command::new(python())
        .args(["-c", CARBON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run python");
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let verdicts = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<&str> = verdicts.lines().collect();
    assert_eq!(verdicts.len(), lines.len());

    let (mut taken, mut refused, mut two_fields, mut non_finite, mut unsupported, mut now) =
        (0, 0, 0, 0, 0, 0);
    for (i, (bytes, verdict)) in lines.iter().zip(&verdicts).enumerate() {
        let ours = parse_line(bytes, i as u64 + 1);
        let w: Vec<&str> = verdict.split(' ').collect();
        let ctx = || {
            format!(
                "line {:?}: carbon says {verdict}, we say {ours:?}",
                String::from_utf8_lossy(bytes)
            )
        };
        match w[0] {
            "utf8" => {
                let at: usize = w[1].parse().unwrap();
                assert_eq!(
                    ours.map(|_| ()).map_err(|e| e.error),
                    Err(LineError::InvalidUtf8 { at }),
                    "{}",
                    ctx()
                );
            }
            "ok" => {
                taken += 1;
                let (path, v, ts, minus_one) = (w[1], w[2], w[3], w[4] == "1");
                let v = f64::from_bits(u64::from_str_radix(v, 16).unwrap());
                let ts = f64::from_bits(u64::from_str_radix(ts, 16).unwrap());
                match ours {
                    Ok(p) => {
                        assert_eq!(hex(p.path.as_bytes()), path, "{}", ctx());
                        assert_eq!(p.value.to_bits(), v.to_bits(), "{}", ctx());
                        match p.timestamp {
                            None => {
                                assert!(minus_one, "{}", ctx());
                                now += 1;
                            }
                            Some(t) => {
                                assert!(!minus_one, "{}", ctx());
                                assert_eq!(t.to_bits(), ts.to_bits(), "{}", ctx());
                            }
                        }
                    }
                    Err(e) => {
                        let ok = match e.error {
                            LineError::NaN {
                                field: Field::Value,
                                ..
                            } => v.is_nan(),
                            LineError::NaN {
                                field: Field::Timestamp,
                                ..
                            } => ts.is_nan(),
                            LineError::Infinite {
                                field: Field::Value,
                                ..
                            } => v.is_infinite(),
                            LineError::Infinite {
                                field: Field::Timestamp,
                                ..
                            } => ts.is_infinite(),
                            LineError::Unsupported { .. } => {
                                unsupported += 1;
                                true
                            }
                            _ => false,
                        };
                        assert!(ok, "{}", ctx());
                        non_finite +=
                            usize::from(!matches!(e.error, LineError::Unsupported { .. }));
                    }
                }
            }
            "refused" => {
                refused += 1;
                let found: usize = w[1].parse().unwrap();
                let floats = w[3];
                match ours {
                    Ok(p) => {
                        // Our extension: `path value`, at "now".
                        assert_eq!(found, 2, "{}", ctx());
                        assert_eq!(floats, "1", "{}", ctx());
                        assert_eq!(hex(p.path.as_bytes()), w[2], "{}", ctx());
                        assert_eq!(p.timestamp, None);
                        two_fields += 1;
                    }
                    Err(e) => match e.error {
                        LineError::FieldCount { found: n } => {
                            assert_eq!(n, found, "{}", ctx());
                            assert!(n != 3 && n != 2, "{}", ctx());
                        }
                        LineError::NotANumber { field, .. } => {
                            assert!(found == 2 || found == 3, "{}", ctx());
                            let k = if field == Field::Value { 0 } else { 1 };
                            assert_eq!(&floats[k..k + 1], "0", "{}", ctx());
                            if field == Field::Timestamp {
                                assert_eq!(&floats[..1], "1", "value first: {}", ctx());
                            }
                        }
                        LineError::NaN { .. } | LineError::Infinite { .. } => {
                            // carbon refused the line for another field, or for having two fields.
                            assert!(floats.contains('0') || found == 2, "{}", ctx());
                        }
                        LineError::Unsupported { .. } => unsupported += 1,
                        _ => panic!("{}", ctx()),
                    },
                }
            }
            _ => unreachable!(),
        }
    }
    eprintln!(
        "{taken} taken by carbon ({now} at -1, {non_finite} NaN/inf refused by policy), {refused} refused \
         ({two_fields} two-field lines taken by our extension), {unsupported} unsupported"
    );
    assert!(
        taken > 50_000 && refused > 50_000,
        "the generator covers both sides"
    );
    assert!(now > 100 && two_fields > 1000 && non_finite > 100);
    assert!(unsupported < 20, "{unsupported} numbers not evaluated");
}
