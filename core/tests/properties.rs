//! Property tests: random datapoints (non-ASCII paths, extreme floats and timestamps, random limits) into
//! frames, decoded by CPython and carbon's unpickler in batches, must come back identical; `encoded_len` and
//! `frame_len` must equal the real lengths; no frame may exceed its limits; a refused push must leave the
//! frame byte-identical. Tagged paths (`name;tag=value;...`, duplicates and `name` tags included) must come
//! back in carbon's canonical order, as a plain reference (a sorted map) writes it.

mod support;

use std::collections::BTreeMap;

use carbon_pickle::{
    check_path, frame_len, split, Datapoint, FrameEncoder, Options, PathRules, Protocol, SliceSink,
    Storage,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Point {
    path: String,
    timestamp: f64,
    value: f64,
}

fn path() -> impl Strategy<Value = String> {
    let component = prop_oneof![
        "[a-zA-Z0-9_-]{1,12}",
        "[a-z=:,'\"~!@#$%^&*()+]{1,8}",
        "\\PC{1,6}".prop_filter("no whitespace, controls, dots, slashes or tags", |s| {
            s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"./\\;{}".contains(c))
        }),
    ];
    proptest::collection::vec(component, 1..6).prop_map(|c| c.join("."))
}

/// A tagged path: a name whose `~`-stripped form is a valid path, then tags from a small alphabet (so
/// duplicates happen), `name` among them, values with `=`, `.`, `/`, quotes and non-ASCII characters.
fn tagged_path() -> impl Strategy<Value = String> {
    let name = path().prop_filter("a valid name once its ~ are stripped", |n| {
        let s = n.trim_start_matches('~');
        !s.is_empty() && check_path(s, PathRules::default()).is_ok()
    });
    let tag = prop_oneof![
        "[a-c]{1,2}",
        "[a-z0-9._/-]{1,8}",
        Just("name".to_owned()),
        "\\pL{1,3}"
    ];
    let value = prop_oneof![
        "[a-zA-Z0-9./:=,'\"!^{}-][a-zA-Z0-9./:=,'\"~!^{}-]{0,8}",
        "\\PC{1,4}".prop_filter("no whitespace, controls, ; or \\, no leading ~", |s| {
            !s.starts_with('~')
                && s.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !";\\".contains(c))
        }),
    ];
    let tags = proptest::collection::vec((tag, value), 1..6).prop_map(|tags| {
        tags.into_iter()
            .map(|(t, v)| format!(";{t}={v}"))
            .collect::<String>()
    });
    // Not ending in `"}` with a `{` somewhere: carbon would read that as the OpenMetrics form.
    (name, tags)
        .prop_map(|(n, t)| n + &t)
        .prop_filter("not OpenMetrics", |p| {
            !(p.ends_with("\"}") && p.contains('{'))
        })
}

/// What carbon stores for `prefix.path`, written plainly: for a tagged path, the name (without its leading
/// `~`), then the last value of each tag but `name`, sorted by `;tag=value`.
fn stored(prefix: Option<&str>, path: &str) -> String {
    let full = match prefix {
        Some(p) => format!("{p}.{path}"),
        None => path.to_owned(),
    };
    let Some((name, tags)) = full.split_once(';') else {
        return full;
    };
    let mut map = BTreeMap::new();
    for seg in tags.split(';') {
        let (t, v) = seg.split_once('=').unwrap();
        map.insert(t.to_owned(), v.to_owned());
    }
    map.remove("name");
    let mut segs: Vec<String> = map.into_iter().map(|(t, v)| format!(";{t}={v}")).collect();
    segs.sort();
    name.trim_start_matches('~').to_owned() + &segs.concat()
}

fn timestamp() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..=u32::MAX).prop_map(f64::from),
        Just(0.0),
        Just(2_147_483_647.0),
        Just(2_147_483_648.0),
        Just(4_294_967_295.0),
        (0.0..4_294_967_296.0f64),
        (0u64..1_000).prop_map(|n| n as f64 * 1e-300),
    ]
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        (-1_000_000i64..1_000_000).prop_map(|v| v as f64),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    let path = prop_oneof![3 => path(), 1 => tagged_path()];
    (path, timestamp(), value()).prop_map(|(path, timestamp, value)| Point {
        path,
        timestamp,
        value,
    })
}

#[derive(Debug, Clone)]
struct Case {
    points: Vec<Point>,
    protocol: Protocol,
    prefix: Option<String>,
    max_bytes: usize,
    max_points: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(point(), 0..60),
        prop_oneof![Just(Protocol::V0), Just(Protocol::V2)],
        proptest::option::of("[A-Za-z0-9-]{1,20}"),
        300usize..4_000,
        1usize..50,
    )
        .prop_map(|(points, protocol, prefix, max_bytes, max_points)| Case {
            points,
            protocol,
            prefix,
            max_bytes,
            max_points,
        })
}

impl Case {
    fn options(&self) -> Options<'_> {
        let mut o = Options::new()
            .with_protocol(self.protocol)
            .with_max_bytes(self.max_bytes)
            .with_max_points(self.max_points);
        if let Some(p) = &self.prefix {
            o = o.with_prefix(p);
        }
        o
    }
    fn datapoints(&self) -> Vec<Datapoint<'_>> {
        self.points
            .iter()
            .map(|p| Datapoint::new(&p.path, p.timestamp, p.value))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Each proptest case is a batch of 40 random cases, so CPython starts once per batch.
    #[test]
    fn frames_decode_to_the_same_datapoints(batch in proptest::collection::vec(case(), 40)) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for case in &batch {
            let opts = case.options();
            let points = case.datapoints();
            let mut buf = vec![0u8; 8192];
            let mut frames = Vec::new();
            let stats = split(&points, SliceSink::new(&mut buf), opts, |f| {
                frames.push(f.to_vec());
                Ok::<_, ()>(())
            })
            .unwrap();
            prop_assert_eq!(stats.points, points.len());
            let mut at = 0;
            for f in &frames {
                let payload = u32::from_be_bytes(f[..4].try_into().unwrap()) as usize;
                prop_assert_eq!(payload, f.len() - 4);
                prop_assert!(payload <= case.max_bytes, "payload {} over {}", payload, case.max_bytes);
                // The frame's length is exactly what frame_len predicts for its datapoints.
                let n = (points.len() - at).min(case.max_points);
                let mut taken = 0;
                for k in 1..=n {
                    if frame_len(&points[at..at + k], &opts).map(|s| s.len) == Ok(f.len()) {
                        taken = k;
                    }
                }
                prop_assert!(taken > 0, "no prefix of the datapoints has this frame's length");
                prop_assert!(taken <= case.max_points);
                at += taken;
                stream.extend_from_slice(f);
                expected.push(
                    points[at - taken..at]
                        .iter()
                        .map(|d| (stored(case.prefix.as_deref(), d.path), d.timestamp, d.value))
                        .collect::<Vec<_>>(),
                );
            }
            prop_assert_eq!(at, points.len());
        }
        let decoded = support::cpython_decode(&stream);
        prop_assert_eq!(decoded.len(), expected.len());
        for (got, want) in decoded.iter().zip(&expected) {
            prop_assert_eq!(got.len(), want.len());
            for (g, (path, ts, value)) in got.iter().zip(want) {
                prop_assert_eq!(&g.path, path);
                prop_assert_eq!(g.timestamp.to_bits(), ts.to_bits(), "timestamp of {}", path);
                prop_assert_eq!(g.value.to_bits(), value.to_bits(), "value of {}", path);
            }
        }
    }

    /// `encoded_len` is the exact number of bytes each push adds.
    #[test]
    fn encoded_len_is_exact(case in case()) {
        let opts = case.options().with_max_points(usize::MAX >> 1).with_max_bytes(u32::MAX as usize);
        let mut enc = FrameEncoder::new(Vec::new(), opts).unwrap();
        for dp in case.datapoints() {
            let before = enc.pending_bytes().len();
            enc.push(&dp).unwrap();
            prop_assert_eq!(enc.pending_bytes().len() - before, dp.encoded_len(&opts).unwrap());
        }
    }

    /// A push refused for any reason (bad datapoint, limit, full buffer) leaves the frame byte-identical, and
    /// the frame still finishes into something CPython decodes.
    #[test]
    fn refused_push_leaves_frame_identical(
        case in case(),
        bad_at in 0usize..60,
        bad in prop_oneof![
            Just(("a..b", 1.0, 1.0)),
            Just(("ok", f64::NAN, 1.0)),
            Just(("ok", 1.0, f64::INFINITY)),
            Just(("ok", -1.0, 1.0)),
            Just(("a b", 1.0, 1.0)),
            Just(("a/b", 1.0, 1.0)),
            Just(("a;k=~v", 1.0, 1.0)),
            Just(("a;k", 1.0, 1.0)),
            Just(("a;k=v;=w", 1.0, 1.0)),
            Just(("a{k=\"v\"x\"}", 1.0, 1.0)),
        ],
        buf_len in 40usize..2_000,
    ) {
        let opts = case.options();
        let mut buf = vec![0u8; buf_len];
        let Ok(mut enc) = FrameEncoder::new(SliceSink::new(&mut buf), opts) else { return Ok(()) };
        let bad = Datapoint::new(bad.0, bad.1, bad.2);
        let mut accepted = 0;
        for (i, dp) in case.datapoints().iter().enumerate() {
            if i == bad_at {
                let before = enc.pending_bytes().to_vec();
                prop_assert!(enc.push(&bad).is_err());
                prop_assert_eq!(enc.pending_bytes(), &before[..]);
            }
            let before = enc.pending_bytes().to_vec();
            match enc.push(dp) {
                Ok(()) => accepted += 1,
                Err(_) => prop_assert_eq!(enc.pending_bytes(), &before[..]),
            }
        }
        prop_assert_eq!(enc.points(), accepted);
        let sink = enc.finish();
        let decoded = support::cpython_decode(sink.bytes());
        prop_assert_eq!(decoded[0].len(), accepted);
    }
}

#[test]
fn path_rules_allow_spaces_end_to_end() {
    let opts = Options::new().with_path_rules(PathRules::new().with_spaces(true));
    let mut buf = [0u8; 64];
    let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), opts).unwrap();
    enc.push(&Datapoint::new("disk.C drive.free", 1, 2))
        .unwrap();
    let frame = enc.finish().into_written().to_vec();
    assert_eq!(
        support::cpython_decode(&frame)[0][0].path,
        "disk.C drive.free"
    );
}
