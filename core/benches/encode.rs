//! 1,000,000 datapoints in frames of 500 into one reused buffer, against two peers measured in the same run:
//! serde-pickle (protocol 2, the generic Rust pickler, plus the same length header) on the same data, and a
//! plain memcpy of the same number of bytes our encoder writes. `scripts/bench.sh` turns the results into
//! ratios.
//!
//! A second group, `encode_1m_set2`, repeats the encoder and serde-pickle on other data: paths of 10 to 120
//! bytes (random components), 1% of them non-ASCII, fractional timestamps.

use std::hint::black_box;

use carbon_pickle::{
    CheckedPath, Datapoint, FrameEncoder, Options, PathRules, Protocol, SliceSink,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const POINTS: usize = 1_000_000;
const PER_FRAME: usize = 500;

fn paths() -> Vec<String> {
    let kinds = ["user", "system", "idle", "iowait", "steal"];
    (0..POINTS)
        .map(|i| {
            format!(
                "servers.host{:03}.cpu.core{}.{}",
                (i / 40) % 1000,
                (i / 5) % 8,
                kinds[i % 5]
            )
        })
        .collect()
}

/// Paths of 10 to 120 bytes, 1% non-ASCII, fractional timestamps (a fixed pseudo-random sequence).
fn second_set() -> Vec<(String, f64, f64)> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..POINTS)
        .map(|i| {
            let len = 10 + (rnd() % 111) as usize;
            let mut p = String::with_capacity(len + 16);
            while p.len() < len {
                if !p.is_empty() {
                    p.push('.');
                }
                for _ in 0..3 + rnd() % 12 {
                    p.push((b'a' + (rnd() % 26) as u8) as char);
                }
            }
            p.truncate(len);
            if rnd() % 100 == 0 {
                p.truncate(len - 2);
                p.push('\u{e9}');
            } else if p.ends_with('.') {
                p.pop();
                p.push('z');
            }
            let timestamp = 1_700_000_000.0 + i as f64 * 0.137;
            (p, timestamp, (rnd() % 100_000) as f64 / 7.0)
        })
        .collect()
}

/// One run of validated pushes: every datapoint into frames of `PER_FRAME` in `buf`; the bytes made.
fn push_all(buf: &mut [u8], points: &[Datapoint<'_>], opts: Options) -> usize {
    let mut enc = FrameEncoder::new(SliceSink::new(buf), opts).unwrap();
    let mut bytes = 0;
    for chunk in points.chunks(PER_FRAME) {
        for dp in chunk {
            enc.push(dp).unwrap();
        }
        bytes += enc.take_frame(|f| black_box(f).len());
    }
    bytes
}

/// The same with paths checked once beforehand (`push_checked`).
fn push_checked_all(
    buf: &mut [u8],
    points: &[Datapoint<'_>],
    checked: &[CheckedPath<'_>],
) -> usize {
    let mut enc = FrameEncoder::new(SliceSink::new(buf), Options::new()).unwrap();
    let mut bytes = 0;
    for (chunk, paths) in points.chunks(PER_FRAME).zip(checked.chunks(PER_FRAME)) {
        for (dp, path) in chunk.iter().zip(paths) {
            enc.push_checked(*path, dp.timestamp, dp.value).unwrap();
        }
        bytes += enc.take_frame(|f| black_box(f).len());
    }
    bytes
}

/// The serde-pickle peer: each frame's tuples with `to_writer` into one reused `Vec`, plus the same header.
fn serde_all<T: serde::Serialize>(out: &mut Vec<u8>, tuples: &[T]) -> usize {
    let mut bytes = 0;
    for chunk in tuples.chunks(PER_FRAME) {
        out.clear();
        out.extend_from_slice(&[0; 4]);
        serde_pickle::to_writer(
            &mut *out,
            &chunk,
            serde_pickle::SerOptions::new().proto_v2(),
        )
        .unwrap();
        let len = (out.len() - 4) as u32;
        out[..4].copy_from_slice(&len.to_be_bytes());
        bytes += black_box(&*out).len();
    }
    bytes
}

/// Validated push, push_checked and serde-pickle on the second data set.
fn bench_second_set(c: &mut Criterion) {
    let data = second_set();
    let points: Vec<Datapoint<'_>> = data
        .iter()
        .map(|(p, t, v)| Datapoint::new(p, *t, *v))
        .collect();
    let tuples: Vec<(&str, (f64, f64))> = points
        .iter()
        .map(|d| (d.path, (d.timestamp, d.value)))
        .collect();
    let checked: Vec<_> = points
        .iter()
        .map(|d| CheckedPath::new(d.path, PathRules::default()).unwrap())
        .collect();
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
    let mut out = Vec::with_capacity(128 * 1024);
    g.bench_function("serde_pickle_v2", |b| {
        b.iter(|| serde_all(&mut out, &tuples))
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let paths = paths();
    let points: Vec<Datapoint<'_>> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Datapoint::new(
                p,
                1_700_000_000 + (i / 1000) as u32,
                (i % 977) as f64 * 0.25,
            )
        })
        .collect();
    let tuples: Vec<(&str, (u32, f64))> = points
        .iter()
        .map(|d| (d.path, (d.timestamp as u32, d.value)))
        .collect();
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
    let checked: Vec<_> = points
        .iter()
        .map(|d| CheckedPath::new(d.path, PathRules::default()).unwrap())
        .collect();
    g.bench_function("carbon_pickle_v2_checked_paths", |b| {
        b.iter(|| push_checked_all(&mut buf, &points, &checked))
    });
    let mut out = Vec::with_capacity(64 * 1024);
    g.bench_function("serde_pickle_v2", |b| {
        b.iter(|| serde_all(&mut out, &tuples))
    });
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
