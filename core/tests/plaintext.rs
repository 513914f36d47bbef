//! The plaintext line reader: whatever the reads, the same lines as a whole-input model; over-long lines
//! skipped in constant memory with their true length; the messages each refusal prints.
//! (`plaintext_differential.rs` holds every line's reading against CPython running carbon's code.)

use carbon_pickle::plaintext::{parse_line, LineError, LineReader, Refused, CARBON_MAX_LINE};
use proptest::prelude::*;

/// What a line came out as, owned.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Point {
        line: u64,
        path: String,
        value: u64,
        timestamp: Option<u64>,
    },
    Refused {
        line: u64,
        error: LineError,
        text: Vec<u8>,
        said: String,
    },
}

fn out(r: Result<carbon_pickle::plaintext::Point<'_>, Refused<'_>>) -> Out {
    match r {
        Ok(p) => Out::Point {
            line: p.line,
            path: p.path.into(),
            value: p.value.to_bits(),
            timestamp: p.timestamp.map(f64::to_bits),
        },
        Err(e) => Out::Refused {
            line: e.line,
            error: e.error,
            text: e.text().to_vec(),
            said: e.to_string(),
        },
    }
}

/// The reader's rules applied to the whole input at once.
fn model(input: &[u8], cap: usize) -> Vec<Out> {
    let mut outs = Vec::new();
    let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if parts.last().is_some_and(|l| l.is_empty()) {
        parts.pop(); // the input ends with a newline (or is empty)
    }
    for (i, mut text) in parts.into_iter().enumerate() {
        let n = i as u64 + 1;
        if text.len() > cap {
            let kept = &text[..text.len().min(cap).min(204)];
            outs.push(Out::Refused {
                line: n,
                error: LineError::TooLong {
                    len: text.len() as u64,
                    max: cap,
                },
                text: kept.to_vec(),
                said: String::new(), // compared apart
            });
            continue;
        }
        if n == 1 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        match parse_line(text, n) {
            Err(e) if e.error == LineError::FieldCount { found: 0 } => {} // blank
            r => outs.push(out(r)),
        }
    }
    outs
}

fn read(input: &[u8], cap: usize, cuts: &[usize]) -> Vec<Out> {
    let mut reader = LineReader::new(vec![0u8; cap]);
    let mut outs = Vec::new();
    let mut rest = input;
    for &c in cuts {
        let c = c.min(rest.len());
        reader.feed(&rest[..c], |r| outs.push(out(r)));
        rest = &rest[c..];
    }
    reader.feed(rest, |r| outs.push(out(r)));
    reader.finish_with(|r| outs.push(out(r)));
    outs
}

fn without_said(v: Vec<Out>) -> Vec<Out> {
    v.into_iter()
        .map(|o| match o {
            Out::Refused {
                error: e @ LineError::TooLong { .. },
                line,
                text,
                ..
            } => Out::Refused {
                line,
                error: e,
                text,
                said: String::new(),
            },
            o => o,
        })
        .collect()
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-z.]{1,12}[ \t]{1,3}-?[0-9_.e]{1,6}([ \t\r]{1,2}[0-9.-]{1,10})?[ \r]{0,2}".prop_map(String::into_bytes),
        1 => Just(Vec::new()),
        1 => Just(b" \r".to_vec()),
        1 => "\\PC{0,20}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => (1usize..300).prop_map(|n| {
            let mut l = vec![b'x'; n];
            l.extend_from_slice(b" 1 2");
            l
        }),
        1 => Just(b"\xef\xbb\xbfa.b 1 2".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any buffer size, any cutting of the input into reads: the lines of the whole-input model.
    #[test]
    fn reads_do_not_change_the_lines(
        lines in proptest::collection::vec(line(), 0..12),
        newline_at_end in any::<bool>(),
        cap in prop_oneof![0usize..4, 4usize..40, Just(CARBON_MAX_LINE)],
        cuts in proptest::collection::vec(0usize..50, 0..20),
    ) {
        let mut input = lines.join(&b'\n');
        if newline_at_end {
            input.push(b'\n');
        }
        let got = without_said(read(&input, cap, &cuts));
        prop_assert_eq!(&got, &model(&input, cap));
        // Byte by byte too.
        let ones = vec![1; input.len()];
        prop_assert_eq!(without_said(read(&input, cap, &ones)), got);
    }
}

#[test]
fn a_100_mb_line_goes_by_in_a_16_kib_buffer() {
    let mut reader = LineReader::new([0u8; CARBON_MAX_LINE]);
    let mut outs = Vec::new();
    for i in 0..10 {
        reader.feed(format!("before.m{i} {i} 1700000000\n").as_bytes(), |r| {
            outs.push(out(r))
        });
    }
    let chunk = vec![b'x'; 1 << 16];
    for _ in 0..1600 {
        reader.feed(&chunk, |r| outs.push(out(r)));
    }
    reader.feed(b"\xc3\xa9 1 1700000000\n", |r| outs.push(out(r))); // ends with an é and the fields
    for i in 0..10 {
        reader.feed(format!("after.m{i} {i} 1700000000\n").as_bytes(), |r| {
            outs.push(out(r))
        });
    }
    reader.finish_with(|r| outs.push(out(r)));
    assert_eq!(outs.len(), 21);
    let len = 1600u64 * 65536 + 15;
    let Out::Refused {
        line,
        error,
        text,
        said,
    } = &outs[10]
    else {
        panic!("{:?}", outs[10])
    };
    assert_eq!(
        (*line, *error),
        (
            11,
            LineError::TooLong {
                len,
                max: CARBON_MAX_LINE
            }
        )
    );
    assert_eq!(text.len(), 204);
    assert_eq!(
        said,
        &format!(
            "line 11: longer than 16384 bytes, skipped: \"{}\"... ({len} bytes)",
            "x".repeat(200)
        )
    );
    let paths: Vec<_> = outs
        .iter()
        .filter_map(|o| match o {
            Out::Point { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(paths.len(), 20);
    assert_eq!((paths[0], paths[19]), ("before.m0", "after.m9"));
    assert_eq!(reader.lines(), 21);
}

#[test]
fn every_refusal_says_its_line_and_what() {
    let input = "a.b 1 1700000000\n\
                 a.b 0x10 1700000000\n\
                 a.b 1 0b11\n\
                 a.b 1 0o17\n\
                 a.b\u{ff} 1 1700000000\n\
                 a.b 1 17000\r00000\n\
                 a.b 1\n\
                 a.b\n\
                 a.b nan 1700000000\n\
                 a.b -inf 1700000000\n\
                 a.b 1 1e999\n\
                 \n\
                 a.b 1__0 1700000000\n\
                 a.b\u{2028}1\u{2028}1700000000\n\
                 a.b \"1\" 1700000000\n";
    let mut bytes = input.as_bytes().to_vec();
    // byte 0xff inside line 5 (the literal above is UTF-8: splice the raw byte in)
    let at = bytes.windows(5).position(|w| w == b"\xc3\xbf 1 ").unwrap();
    bytes.splice(at..at + 2, [0xff]);
    let mut said = Vec::new();
    let mut reader = LineReader::new([0u8; 256]);
    reader.feed(&bytes, |r| {
        said.push(match r {
            Ok(p) => format!(
                "line {}: ok {} {} {:?}",
                p.line, p.path, p.value, p.timestamp
            ),
            Err(e) => e.to_string(),
        })
    });
    reader.finish_with(|_| unreachable!());
    assert_eq!(
        said,
        [
            "line 1: ok a.b 1 Some(1700000000.0)",
            r#"line 2: value "0x10" is not a number"#,
            r#"line 3: timestamp "0b11" is not a number"#,
            r#"line 4: timestamp "0o17" is not a number"#,
            r#"line 5: invalid UTF-8 at byte 3: "a.b\xff 1 1700000000""#,
            r#"line 6: expected "path value [timestamp]", got 4 fields: "a.b 1 17000\r00000""#,
            "line 7: ok a.b 1 None",
            r#"line 8: expected "path value [timestamp]", got 1 field: "a.b""#,
            r#"line 9: value "nan" is NaN (carbon skips NaN values)"#,
            r#"line 10: value "-inf" is infinite (go-carbon skips infinite values)"#,
            r#"line 11: timestamp "1e999" is infinite (carbon drops the connection for it)"#,
            r#"line 13: value "1__0" is not a number"#,
            "line 14: ok a.b 1 Some(1700000000.0)",
            r#"line 15: value "\"1\"" is not a number"#,
        ]
    );
}

#[test]
fn quotes_are_cut_at_200_bytes_on_a_character_boundary() {
    let mut line = "é".repeat(150).into_bytes(); // 300 bytes
    line.extend_from_slice(b" 1 2 3");
    let e = parse_line(&line, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "line 1: expected \"path value [timestamp]\", got 4 fields: \"{}\"... (306 bytes)",
            "é".repeat(100)
        )
    );
    let mut line = b"x".repeat(199);
    line.extend_from_slice("é 1 2 3".as_bytes());
    let said = parse_line(&line, 1).unwrap_err().to_string();
    assert!(
        said.ends_with(&format!("{}\"... (207 bytes)", "x".repeat(199))),
        "{said}"
    );
}
