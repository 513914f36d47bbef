//! Cluster placement cost: routing 100,000 metric names (the same path mix as the encode bench) through a
//! ring of 3 and of 32 destinations with each hash (replication 1 and 2), beside encoding the same
//! datapoints into frames, all in the same run; and building a 32-destination ring. Report as ns per
//! datapoint (criterion's time / 100,000) and as ratios to the encoding.

use std::hint::black_box;

use carbon_pickle::route::{HashType, Router};
use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod common;

const POINTS: usize = 100_000;

fn destinations(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "10.0.{}.{}:2004:{}",
                i / 8,
                i % 8 + 1,
                (b'a' + i as u8 % 26) as char
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let names = common::paths_n(POINTS);
    let mut g = c.benchmark_group("route");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(20);

    let points: Vec<Datapoint<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, p)| Datapoint::new(p, 1_700_000_000 + i as u32, 0.25))
        .collect();
    let mut buf = vec![0u8; 64 * 1024];
    g.bench_function("encode (frames of 500)", |b| {
        b.iter(|| {
            let mut total = 0;
            for chunk in points.chunks(500) {
                let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
                for dp in chunk {
                    enc.push(dp).unwrap();
                }
                total += enc.finish().into_written().len();
            }
            black_box(total)
        })
    });

    for n in [3usize, 32] {
        let dests = destinations(n);
        for hash in [HashType::CarbonCh, HashType::Fnv1aCh, HashType::JumpFnv1aCh] {
            for replication in [1usize, 2] {
                let router: Router<'_, 32> =
                    Router::from_strs(hash, dests.iter().map(String::as_str))
                        .unwrap()
                        .with_replication(replication)
                        .unwrap()
                        .with_diverse_replicas(false);
                g.bench_function(
                    format!("{hash} {n} destinations, replication {replication}"),
                    |b| {
                        b.iter(|| {
                            let mut sum = 0usize;
                            for name in &names {
                                for i in router.route(name) {
                                    sum += i;
                                }
                            }
                            black_box(sum)
                        })
                    },
                );
            }
        }
    }
    g.finish();

    let dests = destinations(32);
    let mut g = c.benchmark_group("ring build");
    for hash in [HashType::CarbonCh, HashType::Fnv1aCh, HashType::JumpFnv1aCh] {
        g.bench_function(format!("{hash} 32 destinations"), |b| {
            b.iter(|| {
                let r: Router<'_, 32> =
                    Router::from_strs(hash, dests.iter().map(String::as_str)).unwrap();
                black_box(r.destinations().len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
