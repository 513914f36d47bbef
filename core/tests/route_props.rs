//! The router's parsing, quoting, errors and frame splitting: unit and property tests.
//! (Placement itself is checked against carbon and carbon-c-relay in `route_reference.rs` and
//! `route_c_relay.rs`.)

use carbon_pickle::route::{
    route_split, Destination, HashType, RouteError, RoutedSplitError, RoutedSplitter, Router,
    SyntaxError,
};
use carbon_pickle::{to_slice, Datapoint, Error, Options, SliceSink};
use proptest::prelude::*;

#[test]
fn parse_errors() {
    use RouteError::*;
    use SyntaxError::*;
    let cases: &[(&str, RouteError)] = &[
        ("", Syntax(Empty)),
        (" \t\x1c", Syntax(Empty)),
        ("cache", Syntax(MissingPort)),
        (":2004", Syntax(EmptyHost)),
        ("[]:2004", Syntax(EmptyHost)),
        ("[::1", Syntax(UnclosedBracket)),
        ("[::1]2004", Syntax(UnclosedBracket)),
        ("cache:", BadPort),
        ("cache:0", BadPort),
        ("cache:65536", BadPort),
        ("cache:+2004", BadPort),
        ("cache: 2004", BadPort),
        ("cache:2_004", BadPort),
        ("cache:２００４", BadPort),
        ("cache:2004a:b", BadPort),
        ("cache:0000002004", BadPort),
    ];
    for (text, want) in cases {
        assert_eq!(Destination::parse(text), Err(*want), "{text:?}");
    }
}

#[test]
fn parse_like_carbon() {
    let d = |h, p, i| Ok(Destination::new(h, p, i));
    assert_eq!(
        Destination::parse("10.0.0.1:2004"),
        d("10.0.0.1", 2004, None)
    );
    assert_eq!(
        Destination::parse("\u{3000}h:1:a b\u{1f}"),
        d("h", 1, Some("a b"))
    );
    assert_eq!(
        Destination::parse("[::1]:2004:a:b"),
        d("::1", 2004, Some("a:b"))
    );
    assert_eq!(
        Destination::parse("[fe80::1%eth0]:65535"),
        d("fe80::1%eth0", 65535, None)
    );
    // carbon takes the last "]:" after a leading "[".
    assert_eq!(Destination::parse("[a]:b]:2004"), d("a]:b", 2004, None));
    assert_eq!(
        Destination::parse("cache:02004:"),
        d("cache", 2004, Some(""))
    );
}

#[test]
fn config_errors() {
    let mut r: Router<'_, 2> = Router::new(HashType::CarbonCh);
    r.add_str("a:2004").unwrap();
    assert_eq!(
        r.add_str("a:2005"),
        Err(RouteError::Duplicate { index: 1, first: 0 })
    );
    r.add_str("a:2004:x").unwrap();
    assert_eq!(
        r.add_str("b:2004"),
        Err(RouteError::TooManyDestinations { max: 2 })
    );
    assert_eq!(r.destinations().len(), 2);
    assert_eq!(
        Router::<'_, 2>::new(HashType::Fnv1aCh)
            .with_replication(0)
            .unwrap_err(),
        RouteError::BadReplication
    );
    // jump_fnv1a_ch: members are host:port (carbon-c-relay takes the same host twice on other ports).
    let mut j: Router<'_, 4> = Router::new(HashType::JumpFnv1aCh);
    j.add_str("a:2004:x").unwrap();
    j.add_str("a:2005:x").unwrap();
    assert_eq!(
        j.add_str("a:2004:y"),
        Err(RouteError::Duplicate { index: 2, first: 0 })
    );
    assert_eq!(
        RouteError::Duplicate { index: 2, first: 0 }.to_string(),
        "destination 2 repeats destination 0 (same server and instance)"
    );
    assert!("crc32".parse::<HashType>().is_err());
}

#[test]
fn empty_and_single_routers() {
    let empty: Router<'_, 4> = Router::new(HashType::CarbonCh);
    assert_eq!(empty.route("a.b").count(), 0);
    for hash in [HashType::CarbonCh, HashType::Fnv1aCh, HashType::JumpFnv1aCh] {
        let one: Router<'_, 4> = Router::from_strs(hash, ["a:2004"])
            .unwrap()
            .with_replication(3)
            .unwrap()
            .with_diverse_replicas(false);
        assert_eq!(one.route("a.b").collect::<Vec<_>>(), [0], "{hash}");
    }
}

#[test]
fn fnv1a_clash_is_reported() {
    let named: Router<'_, 4> =
        Router::from_strs(HashType::Fnv1aCh, ["a:2004:x", "b:2004:y", "c:2004:x"]).unwrap();
    assert_eq!(named.fnv1a_clash(), Some((0, 2)));
    let distinct: Router<'_, 4> =
        Router::from_strs(HashType::Fnv1aCh, ["a:2004:x", "b:2004:y"]).unwrap();
    assert_eq!(distinct.fnv1a_clash(), None);
    // "None" is what carbon hashes for a missing instance.
    let none: Router<'_, 4> =
        Router::from_strs(HashType::Fnv1aCh, ["a:2004:None", "b:2004"]).unwrap();
    assert_eq!(none.fnv1a_clash(), Some((0, 1)));
    let carbon: Router<'_, 4> =
        Router::from_strs(HashType::CarbonCh, ["a:2004", "b:2004"]).unwrap();
    assert_eq!(carbon.fnv1a_clash(), None);
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.-]{1,20}",
        "[0-9a-f:]{2,20}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

fn any_router(
    hash: HashType,
    hosts: &[String],
    instances: &[Option<String>],
    replication: usize,
    diverse: bool,
) -> Router<'static, 32> {
    let mut r = Router::new(hash)
        .with_replication(replication)
        .unwrap()
        .with_diverse_replicas(diverse);
    for (k, h) in hosts.iter().enumerate() {
        let instance = instances[k % instances.len()].as_ref();
        // Without an instance a destination is its host alone: those hosts are made distinct.
        let h = if instance.is_none() {
            format!("{h}{k}")
        } else {
            h.clone()
        };
        let h: &'static str = Box::leak(h.into_boxed_str());
        let i = instance.map(|i| &*Box::leak(format!("{i}{k}").into_boxed_str()));
        r.add(Destination::new(h, 2004, i)).unwrap();
    }
    r
}

fn hash_type() -> impl Strategy<Value = HashType> {
    prop_oneof![
        Just(HashType::CarbonCh),
        Just(HashType::Fnv1aCh),
        Just(HashType::JumpFnv1aCh)
    ]
}

proptest! {
    #[test]
    fn display_parses_back(host in host(), port in 1u16.., instance in proptest::option::of(any::<String>())) {
        let trimmed = |s: &str| s == s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
        prop_assume!(trimmed(&host) && instance.as_deref().is_none_or(trimmed));
        prop_assume!(!host.starts_with('[') && !host.contains("]:"));
        // A bracketed host ends at the last "]:", which must then not be in the instance.
        prop_assume!(!host.contains(':') || instance.as_deref().is_none_or(|i| !i.contains("]:")));
        let d = Destination::new(&host, port, instance.as_deref());
        let text = d.to_string();
        prop_assert_eq!(Destination::parse(&text), Ok(d));
    }

    #[test]
    fn node_key_is_one_quoted_line(host in any::<String>(), instance in proptest::option::of(any::<String>())) {
        let key = Destination::new(&host, 1, instance.as_deref()).node_key().to_string();
        let line_break = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
        prop_assert!(!key.chars().any(line_break), "raw control character in {:?}", key);
        prop_assert!(key.starts_with("('") || key.starts_with("(\""));
        prop_assert!(key.ends_with("', None)") == instance.is_none() || key.ends_with("\", None)"));
        // Plain text is shown as it is.
        if host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
            let plain = format!("('{host}', ");
            prop_assert!(key.starts_with(&plain), "{:?}", key);
        }
    }

    #[test]
    fn routes_are_distinct_and_prefixes(
        hash in hash_type(),
        hosts in proptest::collection::vec("[a-d]", 1..12),
        instances in proptest::collection::vec(proptest::option::of("[a-z]{1,3}"), 1..4),
        diverse in any::<bool>(),
        name in "[a-z0-9.]{1,30}",
    ) {
        let mut hosts = hosts;
        hosts.iter_mut().enumerate().for_each(|(k, h)| if hash == HashType::JumpFnv1aCh { h.push_str(&k.to_string()) });
        let routes: Vec<Vec<usize>> = (1..=4)
            .map(|r| any_router(hash, &hosts, &instances, r, diverse).route(&name).collect())
            .collect();
        let router = any_router(hash, &hosts, &instances, 1, diverse);
        let distinct_hosts = {
            let mut h: Vec<&str> = router.destinations().iter().map(|d| d.host).collect();
            h.sort();
            h.dedup();
            h.len()
        };
        for (k, route) in routes.iter().enumerate() {
            let replication = k + 1;
            let mut seen = route.clone();
            seen.sort();
            seen.dedup();
            prop_assert_eq!(seen.len(), route.len(), "distinct destinations");
            let most = if diverse && hash != HashType::JumpFnv1aCh { distinct_hosts } else { hosts.len() };
            prop_assert_eq!(route.len(), replication.min(most));
            // More replicas never move the first ones (the walk just goes on).
            prop_assert_eq!(&routes[3][..route.len()], &route[..]);
        }
    }

    #[test]
    fn prefix_is_hashed_with_the_name(hash in hash_type(), prefix in "[a-z]{1,5}", path in "[a-z.]{1,20}") {
        let r = any_router(hash, &["a".into(), "b".into(), "c".into(), "d".into()], &[Some("i".into())], 2, true);
        let joined = format!("{prefix}.{path}");
        prop_assert!(r.route_prefixed(Some(&prefix), &path).eq(r.route(&joined)));
        prop_assert!(r.route_prefixed(None, &path).eq(r.route(&path)));
    }
}

/// Every destination's frames hold exactly the datapoints routed to it, in order, prefix included.
#[test]
fn split_per_destination() {
    let router: Router<'_, 8> = Router::from_strs(
        HashType::CarbonCh,
        ["a:2004:1", "b:2004:2", "c:2004:3", "a:2104:4"],
    )
    .unwrap()
    .with_replication(2)
    .unwrap();
    let names: Vec<String> = (0..700).map(|i| format!("svc.m{i}")).collect();
    let points: Vec<Datapoint<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Datapoint::new(n, 1_700_000_000 + i as u32, i as f64))
        .collect();
    let opts = Options::new().with_prefix("KEY").with_max_points(100);
    let mut frames: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 4];
    let stats = route_split(&router, &points, vec![Vec::new(); 4], opts, |d, f| {
        frames[d].push(f.to_vec());
        Ok::<_, ()>(())
    })
    .unwrap();
    for dest in 0..4 {
        let mine: Vec<&Datapoint<'_>> = points
            .iter()
            .filter(|p| {
                router
                    .route_prefixed(Some("KEY"), p.path)
                    .any(|d| d == dest)
            })
            .collect();
        assert_eq!(stats[dest].points, mine.len());
        assert_eq!(frames[dest].len(), mine.len().div_ceil(100));
        for (chunk, frame) in mine.chunks(100).zip(&frames[dest]) {
            let mut buf = vec![0u8; 64 * 1024];
            let want = to_slice(chunk.iter().copied(), &mut buf, &opts).unwrap();
            assert_eq!(frame, want);
        }
    }
    let total: usize = stats.iter().map(|s| s.points).sum();
    assert_eq!(
        total,
        700 * 2,
        "replication 2 over 3 hosts: two copies each"
    );
}

/// A failing handler leaves the datapoint in no frame; the push can be retried.
#[test]
fn push_is_all_or_nothing() {
    let router: Router<'_, 2> = Router::from_strs(HashType::CarbonCh, ["a:2004", "b:2004"])
        .unwrap()
        .with_replication(2)
        .unwrap();
    let mut bufs = [[0u8; 200]; 2];
    let [one, two] = &mut bufs;
    // Room for 4 datapoints (25 bytes each) in one frame and 5 in the other.
    let opts = Options::new();
    let sinks = [
        SliceSink::new(&mut one[..4 + 6 + 4 * 25]),
        SliceSink::new(&mut two[..4 + 6 + 5 * 25]),
    ];
    let mut split = RoutedSplitter::new(&router, sinks, opts).unwrap();
    let dp = Datapoint::new("abcd", 1_700_000_000, 1);
    for _ in 0..4 {
        split.push(&dp, |_, _| Err("unexpected")).unwrap();
    }
    // Destination 0 is full: its frame must go out first, and the handler fails.
    assert_eq!(
        split.push(&dp, |d, _| if d == 0 { Err("down") } else { Ok(()) }),
        Err(RoutedSplitError::Sink {
            destination: 0,
            error: "down"
        })
    );
    assert_eq!(split.encoder(0).unwrap().points(), 4);
    assert_eq!(
        split.encoder(1).unwrap().points(),
        4,
        "not added to destination 1 either"
    );
    let mut sent = Vec::new();
    split
        .push(&dp, |d, f| {
            sent.push((d, f.len()));
            Ok::<_, ()>(())
        })
        .unwrap();
    assert_eq!(sent, [(0, 4 + 6 + 4 * 25)]);
    assert_eq!(split.encoder(0).unwrap().points(), 1);
    assert_eq!(split.encoder(1).unwrap().points(), 5);
    // Too large for destination 0's empty frame: refused, added nowhere.
    let long = "x".repeat(200);
    assert!(matches!(
        split.push(&Datapoint::new(&long, 1, 1), |_, _| Ok::<_, ()>(())),
        Err(RoutedSplitError::Point {
            error: Error::DatapointTooLarge { .. } | Error::BufferFull { .. },
            ..
        })
    ));
    assert_eq!(split.encoder(1).unwrap().points(), 5);
    let stats = split.finish(|_, _| Ok::<_, ()>(())).unwrap();
    assert_eq!((stats[0].points, stats[1].points), (5, 5));
    assert_eq!(
        RoutedSplitter::new(&router, [SliceSink::new(&mut [0u8; 64])], opts).unwrap_err(),
        RoutedSplitError::SinkCount {
            expected: 2,
            given: 1
        }
    );
}
