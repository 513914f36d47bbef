//! What carbon stored, what it should have stored, and an exact comparison of the two.

use std::collections::BTreeMap;
use std::fmt::Write;

use carbon_pickle::Datapoint;

/// Datapoints per metric path, `(timestamp, value)` by time, as whisper holds them.
pub type Stored = BTreeMap<String, Vec<(u64, f64)>>;

/// Parses `harness.py dump` output.
pub(crate) fn parse(json: &[u8]) -> Stored {
    let v: serde_json::Value = serde_json::from_slice(json).expect("dump output is JSON");
    let obj = v.as_object().expect("dump output is a JSON object");
    obj.iter()
        .map(|(path, points)| {
            let points = points
                .as_array()
                .expect("points are an array")
                .iter()
                .map(|p| {
                    let ts = p[0].as_u64().expect("whisper timestamps are integers");
                    let value = match &p[1] {
                        serde_json::Value::String(s) => match s.as_str() {
                            "inf" => f64::INFINITY,
                            "-inf" => f64::NEG_INFINITY,
                            _ => f64::NAN,
                        },
                        n => n.as_f64().expect("value is a number"),
                    };
                    (ts, value)
                })
                .collect();
            (path.clone(), points)
        })
        .collect()
}

/// What carbon should store for `points` sent with `prefix`: the path `prefix.path`, the timestamp floored
/// to a whole second (whisper's `update_many` does `int(t)`; every metric here has a 1-second step).
///
/// Panics if two datapoints land on the same path and second: which one carbon keeps then depends on how its
/// cache batches writes, so tests do not send such pairs.
pub fn expected<'a, I>(points: I, prefix: Option<&str>) -> Stored
where
    I: IntoIterator<Item = &'a Datapoint<'a>>,
{
    let mut out = Stored::new();
    for dp in points {
        let path = match prefix {
            Some(p) => format!("{p}.{}", dp.path),
            None => dp.path.to_owned(),
        };
        out.entry(path)
            .or_default()
            .push((dp.timestamp.floor() as u64, dp.value));
    }
    for (path, pts) in &mut out {
        pts.sort_by_key(|p| p.0);
        if let Some(w) = pts.windows(2).find(|w| w[0].0 == w[1].0) {
            panic!(
                "test data has two datapoints for {path} at second {}",
                w[0].0
            );
        }
    }
    out
}

/// Asserts that `stored` holds exactly `expected`: the same paths, and for each the same timestamps with
/// bit-identical values. The panic message lists the first differences.
pub fn assert_stored(expected: &Stored, stored: &Stored) {
    let mut diff = String::new();
    let mut n = 0usize;
    let mut note = |s: String| {
        n += 1;
        if n <= 20 {
            diff.push_str(&s);
            diff.push('\n');
        }
    };
    for path in stored.keys().filter(|p| !expected.contains_key(*p)) {
        note(format!("unexpected metric {path:?}: {:?}", &stored[path]));
    }
    for (path, want) in expected {
        let Some(got) = stored.get(path) else {
            note(format!(
                "metric {path:?} missing ({} datapoints)",
                want.len()
            ));
            continue;
        };
        let got_map: BTreeMap<u64, f64> = got.iter().copied().collect();
        let want_map: BTreeMap<u64, f64> = want.iter().copied().collect();
        for (ts, w) in &want_map {
            match got_map.get(ts) {
                None => note(format!("{path:?} @{ts}: missing (expected {w:?})")),
                Some(g) if g.to_bits() != w.to_bits() => {
                    note(format!("{path:?} @{ts}: stored {g:?}, expected {w:?}"))
                }
                Some(_) => {}
            }
        }
        for (ts, g) in got_map.iter().filter(|(ts, _)| !want_map.contains_key(ts)) {
            note(format!("{path:?} @{ts}: unexpected datapoint {g:?}"));
        }
    }
    if n > 0 {
        let total: usize = expected.values().map(Vec::len).sum();
        let mut msg = format!(
            "carbon stored something else: {n} differences ({} metrics / {total} datapoints expected)\n",
            expected.len()
        );
        let _ = write!(msg, "{diff}");
        if n > 20 {
            let _ = writeln!(msg, "... and {} more", n - 20);
        }
        panic!("{msg}");
    }
}

/// The number of datapoints in `s`.
pub fn count(s: &Stored) -> usize {
    s.values().map(Vec::len).sum()
}
