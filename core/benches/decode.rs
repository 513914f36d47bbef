//! Decoding 1,000,000 datapoints in frames of 500, against serde-pickle's `from_slice` of the same frames
//! in the same run (the generic Rust unpickler, which allocates a `String` per path), for two kinds of
//! frames: this crate's own output and CPython-style frames with memo opcodes (what carbon's relay sends).
//!
//! `cargo bench -p carbon-pickle --bench decode`; compare the means as ratios.

use std::hint::black_box;

use carbon_pickle::decode::{Decoder, Slot, DEFAULT_SLOTS};
use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const POINTS: usize = 1_000_000;
const PER_FRAME: usize = 500;

fn path(i: usize) -> String {
    let kinds = ["user", "system", "idle", "iowait", "steal"];
    format!(
        "servers.host{:03}.cpu.core{}.{}",
        (i / 40) % 1000,
        (i / 5) % 8,
        kinds[i % 5]
    )
}

/// Our encoder's frames (payloads only).
fn own_frames(paths: &[String]) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 64 * 1024];
    paths
        .chunks(PER_FRAME)
        .enumerate()
        .map(|(k, chunk)| {
            let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
            for (j, p) in chunk.iter().enumerate() {
                let i = k * PER_FRAME + j;
                enc.push(&Datapoint::new(
                    p,
                    1_700_000_000 + (i / 1000) as u32,
                    (i % 977) as f64 * 0.25,
                ))
                .unwrap();
            }
            enc.finish().into_written()[4..].to_vec()
        })
        .collect()
}

/// What CPython's `pickle.dumps(points, protocol=2)` writes: a BINPUT after every string and tuple.
fn cpython_frames(paths: &[String]) -> Vec<Vec<u8>> {
    paths
        .chunks(PER_FRAME)
        .enumerate()
        .map(|(k, chunk)| {
            let mut f = b"\x80\x02]q\x00(".to_vec();
            let mut memo = 1u32;
            let mut put = |f: &mut Vec<u8>| {
                if memo < 256 {
                    f.extend_from_slice(&[b'q', memo as u8]);
                } else {
                    f.push(b'r');
                    f.extend_from_slice(&memo.to_le_bytes());
                }
                memo += 1;
            };
            for (j, p) in chunk.iter().enumerate() {
                let i = k * PER_FRAME + j;
                f.push(b'X');
                f.extend_from_slice(&(p.len() as u32).to_le_bytes());
                f.extend_from_slice(p.as_bytes());
                put(&mut f);
                f.push(b'J');
                f.extend_from_slice(&(1_700_000_000 + (i / 1000) as i32).to_le_bytes());
                f.push(b'G');
                f.extend_from_slice(&((i % 977) as f64 * 0.25).to_be_bytes());
                f.push(0x86);
                put(&mut f);
                f.push(0x86);
                put(&mut f);
            }
            f.extend_from_slice(b"e.");
            f
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let paths: Vec<String> = (0..POINTS).map(path).collect();
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    let mut g = c.benchmark_group("decode_1m");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(10);
    for (name, frames) in [
        ("own", own_frames(&paths)),
        ("cpython", cpython_frames(&paths)),
    ] {
        g.bench_function(format!("carbon_pickle_{name}"), |b| {
            let mut dec = Decoder::new(&mut slots);
            b.iter(|| {
                let mut sum = 0.0;
                for f in &frames {
                    for p in dec.decode(black_box(f)).unwrap().flatten() {
                        sum += p.value + p.path.raw().len() as f64;
                    }
                }
                black_box(sum)
            })
        });
        g.bench_function(format!("serde_pickle_{name}"), |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for f in &frames {
                    let v: Vec<(String, (u32, f64))> =
                        serde_pickle::from_slice(black_box(f), serde_pickle::DeOptions::new())
                            .unwrap();
                    for (p, (_, val)) in &v {
                        sum += val + p.len() as f64;
                    }
                }
                black_box(sum)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
