//! 1,000,000 datapoints in frames of 500 into one reused buffer, against two peers measured in the same run:
//! serde-pickle (protocol 2, the generic Rust pickler, plus the same length header) on the same data, and a
//! plain memcpy of the same number of bytes our encoder writes. `scripts/bench.sh` turns the results into
//! ratios.
//!
//! A second group, `encode_1m_set2`, repeats the encoder and serde-pickle on other data: paths of 10 to 120
//! bytes (random components), 1% of them non-ASCII, fractional timestamps.

use std::hint::black_box;

use carbon_pickle::{FrameEncoder, Options, Protocol, SliceSink};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod common;
use common::*;

/// Validated push, push_checked and serde-pickle on the second data set.
fn bench_second_set(c: &mut Criterion) {
    let data = second_set();
    let points = set2_points(&data);
    let tuples = tuples(&points);
    let checked = checked_paths(&points);
    let mut buf = vec![0u8; 128 * 1024];
    let mut g = c.benchmark_group("encode_1m_set2");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(20);
    g.bench_function("carbon_pickle_v2", |b| {
        b.iter(|| push_all(&mut buf, &points, Options::new()))
    });
    g.bench_function("carbon_pickle_v2_checked_paths", |b| {
        b.iter(|| push_checked_all(&mut buf, &points, &checked))
    });
    g.bench_function("carbon_pickle_v2_extend_checked", |b| {
        b.iter(|| extend_checked_all(&mut buf, &points, &checked))
    });
    let mut out = Vec::with_capacity(128 * 1024);
    g.bench_function("serde_pickle_v2", |b| {
        b.iter(|| serde_all(&mut out, &tuples))
    });
    floors(&mut g, &points, &checked, &tuples);
    g.finish();
}

/// Reading the input alone, for `push_checked` (checked paths and the datapoints' numbers) and for
/// serde-pickle (its tuples): the floor under each, in the same run (issue 22's measured breakdown).
fn floors<T: Copy + Into<f64>>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    points: &[carbon_pickle::Datapoint<'_>],
    checked: &[carbon_pickle::CheckedPath<'_>],
    tuples: &[(&str, (T, f64))],
) {
    g.bench_function("floor_v2_checked_input", |b| {
        b.iter(|| read_checked_input(points, checked))
    });
    g.bench_function("floor_v2_serde_input", |b| b.iter(|| read_tuples(tuples)));
}

fn bench(c: &mut Criterion) {
    let paths = paths();
    let points = set1_points(&paths);
    let tuples = whole_second_tuples(&points);
    let mut buf = vec![0u8; 64 * 1024];

    let mut frame_lens = Vec::new();
    let mut total = 0usize;
    for chunk in points.chunks(PER_FRAME) {
        let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
        for dp in chunk {
            enc.push(dp).unwrap();
        }
        let n = enc.finish().into_written().len();
        frame_lens.push(n);
        total += n;
    }
    let first = serde_pickle::to_vec(
        &&tuples[..PER_FRAME],
        serde_pickle::SerOptions::new().proto_v2(),
    )
    .unwrap();
    eprintln!(
        "serde-pickle: {} bytes for the first frame of {PER_FRAME}, ours {}",
        first.len(),
        frame_lens[0] - 4
    );
    let source = vec![0x5au8; *frame_lens.iter().max().unwrap()];

    let mut g = c.benchmark_group("encode_1m");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(20);
    for (name, protocol) in [
        ("carbon_pickle_v2", Protocol::V2),
        ("carbon_pickle_v0", Protocol::V0),
    ] {
        let opts = Options::new().with_protocol(protocol);
        g.bench_function(name, |b| b.iter(|| push_all(&mut buf, &points, opts)));
    }
    // A fixed metric set reported again and again: each path checked once (CheckedPath), then pushed.
    let checked = checked_paths(&points);
    g.bench_function("carbon_pickle_v2_checked_paths", |b| {
        b.iter(|| push_checked_all(&mut buf, &points, &checked))
    });
    g.bench_function("carbon_pickle_v2_extend_checked", |b| {
        b.iter(|| extend_checked_all(&mut buf, &points, &checked))
    });
    let mut out = Vec::with_capacity(64 * 1024);
    g.bench_function("serde_pickle_v2", |b| {
        b.iter(|| serde_all(&mut out, &tuples))
    });
    floors(&mut g, &points, &checked, &tuples);
    // The same bytes as one copy of the whole run's output (out of cache, like the encoder's input paths).
    let all_src = vec![0x5au8; total];
    let mut all_dst = vec![0u8; total];
    g.bench_function("memcpy_whole_run", |b| {
        b.iter(|| {
            all_dst.copy_from_slice(black_box(&all_src));
            black_box(&mut all_dst).len()
        })
    });
    g.bench_function("memcpy_same_bytes", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for &n in &frame_lens {
                buf[..n].copy_from_slice(black_box(&source[..n]));
                bytes += black_box(&buf[..n]).len();
            }
            bytes
        })
    });
    g.finish();
    eprintln!(
        "encoded bytes per run: {total} in {} frames",
        frame_lens.len()
    );
}

criterion_group!(benches, bench, bench_second_set);
criterion_main!(benches);
