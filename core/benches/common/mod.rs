//! Data and loops shared by the encoder bench (`benches/encode.rs`) and the instruction counter
//! (`examples/instructions.rs`), so both measure exactly the same work.
#![allow(dead_code)] // each includer uses a part

use std::hint::black_box;

use carbon_pickle::{
    check_path, CheckedPath, Datapoint, FrameEncoder, Options, PathRules, SliceSink,
};

pub const POINTS: usize = 1_000_000;
pub const PER_FRAME: usize = 500;

/// Set 1's paths (30-32 bytes, like `servers.host042.cpu.core3.user`), `POINTS` of them.
pub fn paths() -> Vec<String> {
    paths_n(POINTS)
}

/// The first `n` of set 1's paths.
pub fn paths_n(n: usize) -> Vec<String> {
    let kinds = ["user", "system", "idle", "iowait", "steal"];
    (0..n)
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
pub fn second_set() -> Vec<(String, f64, f64)> {
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
#[inline(never)]
pub fn push_all(buf: &mut [u8], points: &[Datapoint<'_>], opts: Options) -> usize {
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
#[inline(never)]
pub fn push_checked_all(
    buf: &mut [u8],
    points: &[Datapoint<'_>],
    checked: &[CheckedPath<'_>],
) -> usize {
    each_frame(buf, points, checked, |enc, chunk, paths| {
        for (dp, path) in chunk.iter().zip(paths) {
            enc.push_checked(*path, dp.timestamp, dp.value).unwrap();
        }
    })
}

/// The same as one run per frame (`extend_checked`).
#[inline(never)]
pub fn extend_checked_all(
    buf: &mut [u8],
    points: &[Datapoint<'_>],
    checked: &[CheckedPath<'_>],
) -> usize {
    each_frame(buf, points, checked, |enc, chunk, paths| {
        let run = chunk
            .iter()
            .zip(paths)
            .map(|(dp, path)| (*path, dp.timestamp, dp.value));
        enc.extend_checked(run).unwrap();
    })
}

/// Frames of `PER_FRAME` checked datapoints in `buf`, each filled by `fill`; the bytes made.
#[inline(always)]
fn each_frame(
    buf: &mut [u8],
    points: &[Datapoint<'_>],
    checked: &[CheckedPath<'_>],
    mut fill: impl FnMut(&mut FrameEncoder<'_, SliceSink<'_>>, &[Datapoint<'_>], &[CheckedPath<'_>]),
) -> usize {
    let mut enc = FrameEncoder::new(SliceSink::new(buf), Options::new()).unwrap();
    let mut bytes = 0;
    for (chunk, paths) in points.chunks(PER_FRAME).zip(checked.chunks(PER_FRAME)) {
        fill(&mut enc, chunk, paths);
        bytes += enc.take_frame(|f| black_box(f).len());
    }
    bytes
}

/// The floor under `push_checked` and `extend_checked`: read what they read (each checked path's last byte,
/// each datapoint's timestamp and value) and nothing else. No encoder of this input can be faster.
#[inline(never)]
pub fn read_checked_input(points: &[Datapoint<'_>], checked: &[CheckedPath<'_>]) -> u64 {
    points.iter().zip(checked).fold(0u64, |acc, (dp, path)| {
        let last = path.as_str().as_bytes().last().copied().unwrap_or(0);
        acc.wrapping_add(u64::from(last) ^ dp.timestamp.to_bits() ^ dp.value.to_bits())
    })
}

/// The floor under serde-pickle: the same for its tuples.
#[inline(never)]
pub fn read_tuples<T: Copy + Into<f64>>(tuples: &[(&str, (T, f64))]) -> u64 {
    tuples.iter().fold(0u64, |acc, (path, (t, v))| {
        let last = path.as_bytes().last().copied().unwrap_or(0);
        acc.wrapping_add(u64::from(last) ^ (*t).into().to_bits() ^ v.to_bits())
    })
}

/// The serde-pickle peer: each frame's tuples with `to_writer` into one reused `Vec`, plus the same header.
#[inline(never)]
pub fn serde_all<T: serde::Serialize>(out: &mut Vec<u8>, tuples: &[T]) -> usize {
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

/// Set 1's datapoints: whole-second timestamps, 1,000 per second.
pub fn set1_points(paths: &[String]) -> Vec<Datapoint<'_>> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Datapoint::new(
                p,
                1_700_000_000 + (i / 1000) as u32,
                (i % 977) as f64 * 0.25,
            )
        })
        .collect()
}

/// Set 2's datapoints.
pub fn set2_points(data: &[(String, f64, f64)]) -> Vec<Datapoint<'_>> {
    data.iter()
        .map(|(p, t, v)| Datapoint::new(p, *t, *v))
        .collect()
}

/// Every path checked once (for `push_checked`).
pub fn checked_paths<'a>(points: &[Datapoint<'a>]) -> Vec<CheckedPath<'a>> {
    points
        .iter()
        .map(|d| CheckedPath::new(d.path, PathRules::default()).unwrap())
        .collect()
}

/// The datapoints as the tuples serde-pickle writes: `(path, (timestamp, value))`.
pub fn tuples<'a>(points: &[Datapoint<'a>]) -> Vec<(&'a str, (f64, f64))> {
    points
        .iter()
        .map(|d| (d.path, (d.timestamp, d.value)))
        .collect()
}

/// Set 1's tuples, with the timestamps as integers (so serde-pickle writes them as BININT, as we do).
pub fn whole_second_tuples<'a>(points: &[Datapoint<'a>]) -> Vec<(&'a str, (u32, f64))> {
    points
        .iter()
        .map(|d| (d.path, (d.timestamp as u32, d.value)))
        .collect()
}

/// The path check alone (`check_path`) on every datapoint's path: the instruction counter's "path check" part.
#[inline(never)]
pub fn check_all(points: &[Datapoint<'_>]) -> usize {
    points
        .iter()
        .filter(|d| check_path(black_box(d.path), PathRules::default()).is_ok())
        .count()
}

/// The whole check (`Datapoint::validate`: path, timestamp, value) on every datapoint: less the path check
/// alone, the "number checks" part.
#[inline(never)]
pub fn validate_all(points: &[Datapoint<'_>]) -> usize {
    points
        .iter()
        .filter(|d| black_box(*d).validate(PathRules::default()).is_ok())
        .count()
}
