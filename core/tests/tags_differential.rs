//! The tag rules against carbon 1.1.10's own `TaggedSeries.parse(path).path`, run by CPython (the venv's
//! when `CARBON_PICKLE_PYTHON` points at it, else `python3` with carbon importable), on a generated corpus of
//! tagged paths: carbon's form and the OpenMetrics form, tags in any order, duplicates, `name` tags, `~`
//! names, values with `=`, `.`, `/`, quotes and non-ASCII, the refusals the issue lists (`;k=`, `;=v`, `;k`,
//! `;k!x=v`, `;k=~v`), broken OpenMetrics, and random strings over the characters that matter.
//!
//! Each path is checked and written canonically here ([`tags::canonical`], default path rules) and by
//! carbon, and the outcomes must agree:
//! - a path both accept: the same canonical text, byte for byte;
//! - a path carbon refuses: refused here too;
//! - a path only carbon accepts: refused here by one of our documented rules only (the path rules on the
//!   name; whitespace, control characters and `\` in tags and values), never by a carbon rule.
//!
//! Plain paths (no `;`, not OpenMetrics) that the random strings produce are left out: they are written as
//! given, outside the tag rules.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use carbon_pickle::tags::{self, BuildError};
use carbon_pickle::{PathError, PathRules, TagError};

fn python() -> String {
    match std::env::var("CARBON_PICKLE_PYTHON") {
        Ok(p) if std::path::Path::new(&p).exists() => p,
        _ => "python3".into(),
    }
}

const CARBON: &str = r#"
import sys
from carbon.util import TaggedSeries
out = []
for hexline in sys.stdin.read().split():
    path = bytes.fromhex(hexline).decode('utf-8')
    try:
        out.append('ok ' + (TaggedSeries.parse(path).path.encode('utf-8').hex() or '-'))
    except Exception:
        out.append('refused')
sys.stdout.write('\n'.join(out) + '\n')
"#;

/// A small deterministic generator (xorshift64*), so the corpus is the same on every run.
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
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const NAMES: &[&str] = &[
    "disk.used",
    "cpu",
    "servers.web01.cpu.user",
    "~cpu",
    "~~a.b",
    "Zürich.temp",
    "a{b",
    "a\"b",
    "a}b",
    "x-y_z:1",
    "名前.値",
    "m",
];
const BAD_NAMES: &[&str] = &["a..b", "", "~", "a b", "x/y", ".a", "a\\b", "a.", "~~"];
const TAGS: &[&str] = &[
    "dc", "rack", "host", "name", "a", "a.b", "a-b", "a_b", "b", "é", "/p", "t~", "k\"", "k,",
    "k}", "A", "a.", "a0", "env", "ünï", "~t", "k'",
];
const BAD_TAGS: &[&str] = &["k!x", "k^", "", "x y", "a\\b", "a=", "k;", "\t"];
const VALUES: &[&str] = &[
    "dc1",
    "a1",
    "1.2.3",
    "/var/log",
    "x=y",
    "v~",
    "Zürich",
    "\"q\"",
    "'s'",
    "{x}",
    "0",
    "-1.5e3",
    "v!^",
    "a,b",
    "http://h/p?q=1",
    "名前",
    "=",
    "a=b=c",
    "{",
    "}",
    "\"}",
];
const BAD_VALUES: &[&str] = &["~v", "", "a b", "a\\b", "x\ty", "~", "v;w", "\u{85}"];

fn name(r: &mut Rng) -> &'static str {
    if r.chance(8) {
        r.pick(BAD_NAMES)
    } else {
        r.pick(NAMES)
    }
}

fn tag(r: &mut Rng) -> &'static str {
    if r.chance(6) {
        r.pick(BAD_TAGS)
    } else {
        r.pick(TAGS)
    }
}

fn value(r: &mut Rng) -> &'static str {
    if r.chance(6) {
        r.pick(BAD_VALUES)
    } else {
        r.pick(VALUES)
    }
}

fn carbon_segment(r: &mut Rng) -> String {
    match r.below(40) {
        0 => tag(r).to_owned(),        // no `=`
        1 => format!("={}", value(r)), // empty tag
        2 => format!("{}=", tag(r)),   // empty value
        _ => format!("{}={}", tag(r), value(r)),
    }
}

fn carbon_form(r: &mut Rng) -> String {
    let mut p = name(r).to_owned();
    let n = 1 + r.below(5);
    let mut segs: Vec<String> = (0..n).map(|_| carbon_segment(r)).collect();
    if r.chance(30) {
        // a duplicate tag, with another value
        let t = tag(r);
        segs.push(format!("{t}={}", value(r)));
        segs.insert(r.below(segs.len()), format!("{t}={}", value(r)));
    }
    for s in segs {
        p.push(';');
        p.push_str(&s);
    }
    if r.chance(2) {
        p.push(';');
    }
    p
}

fn om_escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

fn open_metrics(r: &mut Rng) -> String {
    let mut p = name(r).to_owned();
    p.push('{');
    let n = 1 + r.below(5);
    for i in 0..n {
        if i > 0 {
            p.push_str(match r.below(40) {
                0 => ":,",
                1 => " ",
                2 => "",
                3 => ";",
                _ => ",",
            });
        }
        let v = value(r);
        let v = if r.chance(95) {
            om_escape(v)
        } else {
            v.to_owned()
        };
        let t = tag(r);
        match r.below(40) {
            0 => write!(p, "{t}={v}"),
            1 => write!(p, "{t}='{v}'"),
            2 => write!(p, "{t}=\"{v}\"{{"),
            _ => write!(p, "{t}=\"{v}\""),
        }
        .unwrap();
    }
    p.push('}');
    if r.chance(2) {
        p.push('"');
    }
    p
}

fn random_string(r: &mut Rng) -> String {
    const CHARS: &[&str] = &[
        "a", "b", "k", ";", "=", "~", "!", "^", "{", "}", "\"", ",", ":", "\\", " ", ".", "é", "/",
        "name",
    ];
    let n = 1 + r.below(14);
    let mut s: String = (0..n).map(|_| r.pick(CHARS)).collect();
    if r.chance(40) {
        s.push_str("\"}");
    }
    s
}

fn corpus() -> Vec<String> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out: Vec<String> = [
        "disk.used;k=",
        "disk.used;=v",
        "disk.used;k",
        "disk.used;k!x=v",
        "disk.used;k=~v",
        "disk.used;rack=a1;dc=dc1",
        "disk.used;dc=dc1;rack=a1",
        "disk.used;k=1;k=2",
        "a;name=b",
        "a{k=\"v\"}",
        "a{k=\"v\",j=\"w\"}",
        "a{k=\"v\":,j=\"w\"}",
        "a{k=\"\\\"\"}",
        "a{k=\"v\"}{\"}",
        "~~a;b=1",
        "~;b=1",
        ";b=1",
        "a;a=1;a.b=2",
        "a;a.b=2;a=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..2500 {
        out.push(carbon_form(&mut r));
    }
    for _ in 0..1500 {
        out.push(open_metrics(&mut r));
    }
    for _ in 0..2000 {
        out.push(random_string(&mut r));
    }
    out.retain(|p| tags::is_tagged(p));
    out
}

/// True for an error that only our rules give (never one of carbon's).
fn ours_only(e: &PathError) -> bool {
    match e {
        PathError::Tag(TagError::InvalidTagChar { ch, .. }) => !matches!(ch, ';' | '!' | '^' | '='),
        PathError::Tag(TagError::InvalidValueChar { ch, .. }) => *ch != ';',
        PathError::Tag(TagError::NonAscii { .. }) => true,
        PathError::Tag(_) => false,
        // The path rules on the name.
        _ => true,
    }
}

#[test]
fn tags_agree_with_carbon() {
    let paths = corpus();
    let mut input = String::new();
    for p in &paths {
        input.push_str(&hex(p.as_bytes()));
        input.push('\n');
    }
    let mut child = Command::new(python())
        .args(["-c", CARBON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python with carbon (set CARBON_PICKLE_PYTHON to the venv's python)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), paths.len());

    let (mut same, mut both_refuse, mut ours_refuse, mut om, mut reordered) = (0, 0, 0, 0, 0);
    let mut bad = Vec::new();
    let mut buf = vec![0u8; 8192];
    for (path, line) in paths.iter().zip(&lines) {
        let carbon = line.strip_prefix("ok ").map(|h| {
            if h == "-" {
                String::new()
            } else {
                String::from_utf8(unhex(h)).unwrap()
            }
        });
        let ours = tags::canonical(path, PathRules::default(), &mut buf).map(str::to_owned);
        match (&ours, &carbon) {
            (Ok(o), Some(c)) if o == c => {
                same += 1;
                om += usize::from(path.ends_with("\"}"));
                reordered += usize::from(o != path);
            }
            (Err(_), None) => both_refuse += 1,
            (Err(BuildError::Invalid(e)), Some(_)) if ours_only(e) => ours_refuse += 1,
            _ => bad.push(format!("{path:?}: ours {ours:?}, carbon {carbon:?}")),
        }
    }
    eprintln!(
        "{} tagged paths: {same} written as carbon stores them ({reordered} of them changed: reordered, \
         deduplicated, OpenMetrics ({om}) or `~` stripped), {both_refuse} refused by both, {ours_refuse} \
         refused by our documented rules only, {} disagreements",
        paths.len(),
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad[..bad.len().min(30)].join("\n")
    );
    assert!(paths.len() > 3000 && same > 1000 && both_refuse > 1000 && om > 200);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
