//! Tagged series end to end: frames from the core into the real carbon, which registers each new tagged series
//! in a real graphite-web 1.1.10 (`ENABLE_TAGS`, `GRAPHITE_URL`), as in production; then graphite-web's own
//! API must give back exactly what was sent: `/tags/findSeries` every series, in carbon's canonical form, and
//! `/render?target=seriesByTag(...)&format=json` every datapoint.
//!
//! The tagged paths are spelt every way the core accepts (tags in any order, a repeated tag, a `name` tag,
//! a `~` name, the OpenMetrics form, values with `.`, `/` and non-ASCII characters, a name built with
//! `TaggedName`), in protocol 2 and protocol 0, with and without a prefix; one series comes in two spellings
//! and must be one series. One carbon and one graphite-web serve the whole file (one test), to keep the
//! suite's time down.

use std::collections::{BTreeMap, BTreeSet};
use std::thread::sleep;
use std::time::{Duration, Instant};

use carbon_pickle::tags::TaggedName;
use carbon_pickle::{Datapoint, Options, PathRules, Protocol};
use carbon_pickle_tests::{now, query, Carbon};

/// The tag every series here carries, to find them all.
const SUITE: &str = "suite=e2e-rust";

/// The stored series' datapoints, `(timestamp, value)` by time, as graphite-web renders them.
type Points = Vec<(u32, f64)>;

fn expression(canonical: &str) -> String {
    let mut parts = canonical.split(';');
    let name = parts.next().unwrap();
    let mut terms = vec![format!("'name={name}'")];
    terms.extend(parts.map(|t| format!("'{t}'")));
    format!("seriesByTag({})", terms.join(","))
}

#[test]
fn graphite_web_finds_and_renders_every_tagged_series_as_sent() {
    let carbon = Carbon::start_with_graphite();
    let t0 = now() - 900;

    // (path as sent, protocol, prefix, series as carbon stores it)
    let mut built = [0u8; 128];
    let mut board = TaggedName::new(&mut built, "board.temp", PathRules::default()).unwrap();
    board
        .tag("suite", "e2e-rust")
        .unwrap()
        .tag("board", "mps2-an386")
        .unwrap();
    let board = board.as_str().to_owned();
    let sends: Vec<(String, Protocol, Option<&str>, &str)> = vec![
        (
            format!("disk.used;rack=a1;dc=dc1;{SUITE}"),
            Protocol::V2,
            None,
            "disk.used;dc=dc1;rack=a1;suite=e2e-rust",
        ),
        // The same series in another order: one series, its points after the first spelling's.
        (
            format!("disk.used;{SUITE};dc=dc1;rack=a1"),
            Protocol::V2,
            None,
            "disk.used;dc=dc1;rack=a1;suite=e2e-rust",
        ),
        (
            format!("~cpu.load;host=web01;{SUITE};host=web02;name=ignored"),
            Protocol::V2,
            None,
            "cpu.load;host=web02;suite=e2e-rust",
        ),
        (
            "http.requests{path=\"/api/v1\",suite=\"e2e-rust\",code=\"200\"}".to_string(),
            Protocol::V2,
            None,
            "http.requests;code=200;path=/api/v1;suite=e2e-rust",
        ),
        (
            format!("temp;version=1.2.3;city=Zürich;{SUITE}"),
            Protocol::V2,
            None,
            "temp;city=Zürich;suite=e2e-rust;version=1.2.3",
        ),
        (
            board.clone(),
            Protocol::V2,
            None,
            "board.temp;board=mps2-an386;suite=e2e-rust",
        ),
        (
            format!("p0.series;b=ü;a=1;{SUITE}"),
            Protocol::V0,
            None,
            "p0.series;a=1;b=ü;suite=e2e-rust",
        ),
        (
            format!("prefixed;z=1;{SUITE}"),
            Protocol::V2,
            Some("KEY"),
            "KEY.prefixed;suite=e2e-rust;z=1",
        ),
    ];
    assert_eq!(board, "board.temp;board=mps2-an386;suite=e2e-rust");

    let mut expected: BTreeMap<&str, Points> = BTreeMap::new();
    let per_spelling = 5u32;
    for (k, (path, protocol, prefix, stored)) in sends.iter().enumerate() {
        let points: Vec<Datapoint<'_>> = (0..per_spelling)
            .map(|i| {
                let ts = t0 + k as u32 * per_spelling + i;
                Datapoint::new(path, ts, f64::from(ts % 1000) + 0.25)
            })
            .collect();
        let mut opts = Options::new().with_protocol(*protocol);
        if let Some(p) = prefix {
            opts = opts.with_prefix(p);
        }
        carbon.send_split(&points, opts);
        let e = expected.entry(stored).or_default();
        e.extend(points.iter().map(|d| (d.timestamp as u32, d.value)));
    }
    let want: BTreeSet<String> = expected.keys().map(|s| s.to_string()).collect();

    // Carbon posts new series to graphite-web from its writer loop: wait until they are all registered.
    let started = Instant::now();
    let found = loop {
        let found: BTreeSet<String> = carbon
            .graphite_get(&format!("/tags/findSeries?expr={}", query(SUITE)))
            .as_array()
            .expect("findSeries answers a list")
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        if found == want || started.elapsed() > Duration::from_secs(60) {
            break found;
        }
        sleep(Duration::from_millis(200));
    };
    assert_eq!(
        found, want,
        "graphite-web's tag database holds exactly the series sent, canonically"
    );

    // Every datapoint, by seriesByTag with all of the series' tags, once carbon has written them.
    for (series, points) in &expected {
        let target = expression(series);
        let url = format!(
            "/render?target={}&format=json&from={}&until={}",
            query(&target),
            t0 - 1,
            t0 + sends.len() as u32 * per_spelling + 1
        );
        let started = Instant::now();
        let got = loop {
            let answer = carbon.graphite_get(&url);
            let list = answer.as_array().expect("render answers a list");
            let got: Vec<(String, Points)> = list
                .iter()
                .map(|s| {
                    let pts = s["datapoints"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| !p[0].is_null())
                        .map(|p| (p[1].as_u64().unwrap() as u32, p[0].as_f64().unwrap()))
                        .collect();
                    (s["target"].as_str().unwrap().to_owned(), pts)
                })
                .collect();
            if (got.len() == 1 && got[0].1.len() == points.len())
                || started.elapsed() > Duration::from_secs(60)
            {
                break got;
            }
            sleep(Duration::from_millis(200));
        };
        assert_eq!(got, vec![(series.to_string(), points.clone())], "{target}");
    }

    // Whisper holds one file per series: no spelling made a series of its own.
    let stored = carbon.dump();
    let tagged = stored.keys().filter(|k| k.starts_with("_tagged.")).count();
    assert_eq!(
        tagged,
        expected.len(),
        "files under _tagged/: {:?}",
        stored.keys().collect::<Vec<_>>()
    );
}
