#!/usr/bin/env node
// Benchmark (not a test): 1,000,000 datapoints in frames of 500, every encoder measured in the same run.
//
//   this package, one-off paths    encodeFrames(rows) and encodeFrames({ paths, values, timestamps })
//   this package, interned paths   a MetricSet of 1,000 paths, encode(values) 1,000 times
//   careful pure JS, protocol 2    Uint8Array + TextEncoder.encodeInto + DataView, written here (the peer
//                                  the targets are set against)
//   pure JS, charCodeAt fast path  the same with ASCII paths copied by a charCodeAt loop
//   statsd-style, protocol 0       a string builder as statsd's graphite backend writes, written here
//
// The pure-JS peers exist only in this script: the package itself never encodes in JavaScript. Their
// output is checked against the package's before anything is timed. Figures are medians of several runs,
// printed as ns per datapoint and as ratios to the careful pure-JS encoder; each run starts after a full
// garbage collection (the script re-runs itself with --expose-gc). The .wasm sizes come from the last
// build (pkg/sizes.json). Usage: node bench/bench.mjs [--points N] [--runs R] [--json]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Each timed run starts after a full garbage collection, so no case pays for another's garbage.
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const require = createRequire(import.meta.url);
const { encodeFrames, MetricSet } = require('../js/node.cjs');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const POINTS = arg('--points', 1_000_000);
const RUNS = arg('--runs', 7);
const PER_FRAME = 500;
const DISTINCT = 1000;
const T0 = 1_700_000_000;

// ---- data: 1,000 distinct paths, each reported POINTS / 1,000 times ----
const KINDS = ['user', 'system', 'idle', 'iowait', 'steal'];
const names = Array.from({ length: DISTINCT }, (_, i) => `servers.host${String(i % 200).padStart(3, '0')}.cpu.core${i % 8}.${KINDS[i % 5]}`);
const rounds = Math.ceil(POINTS / DISTINCT);
const values = new Float64Array(POINTS);
const timestamps = new Float64Array(POINTS);
const paths = new Array(POINTS);
const rows = new Array(POINTS);
for (let i = 0; i < POINTS; i++) {
  const v = ((i * 7919) % 100000) / 100;
  const t = T0 + Math.floor(i / DISTINCT) * 10;
  paths[i] = names[i % DISTINCT];
  values[i] = v;
  timestamps[i] = t;
  rows[i] = { path: paths[i], value: v, timestamp: t };
}
// The same datapoints with a path that is never repeated (a number appended): what the package's memory of
// recent paths costs when it never helps.
const uniqueRows = rows.map((r, i) => ({ path: `${r.path}.n${i}`, value: r.value, timestamp: r.timestamp }));

// ---- peer 1: a careful pure-JS protocol-2 encoder ----
const te = new TextEncoder();
function jsProtocol2(points) {
  let buf = new Uint8Array(1 << 16);
  let dv = new DataView(buf.buffer);
  let pos = 0;
  const frames = [];
  const ensure = (n) => {
    if (pos + n <= buf.length) return;
    const bigger = new Uint8Array(Math.max(buf.length * 2, pos + n));
    bigger.set(buf.subarray(0, pos));
    buf = bigger;
    dv = new DataView(buf.buffer);
  };
  const starts = [];
  for (let i = 0; i < points.length; i += PER_FRAME) {
    const end = Math.min(points.length, i + PER_FRAME);
    ensure(10);
    const start = pos;
    starts.push(start);
    pos += 4;
    buf[pos++] = 0x80; buf[pos++] = 2; buf[pos++] = 0x5d; buf[pos++] = 0x28; // PROTO 2, EMPTY_LIST, MARK
    for (let k = i; k < end; k++) {
      const p = points[k];
      const path = p.path;
      ensure(path.length * 3 + 5 + 9 + 9 + 2 + 2);
      buf[pos] = 0x58; // BINUNICODE
      const { written } = te.encodeInto(path, buf.subarray(pos + 5));
      dv.setUint32(pos + 1, written, true);
      pos += 5 + written;
      const t = p.timestamp;
      if (Number.isInteger(t) && t >= 0 && t < 2147483648) {
        buf[pos] = 0x4a; // BININT
        dv.setInt32(pos + 1, t, true);
        pos += 5;
      } else {
        buf[pos] = 0x47; // BINFLOAT
        dv.setFloat64(pos + 1, t);
        pos += 9;
      }
      buf[pos] = 0x47;
      dv.setFloat64(pos + 1, p.value);
      buf[pos + 9] = 0x86; buf[pos + 10] = 0x86; // TUPLE2 TUPLE2
      pos += 11;
    }
    buf[pos++] = 0x65; buf[pos++] = 0x2e; // APPENDS STOP
    dv.setUint32(start, pos - start - 4);
  }
  starts.push(pos);
  for (let f = 0; f + 1 < starts.length; f++) frames.push(buf.subarray(starts[f], starts[f + 1]));
  return frames;
}

// ---- peer 1b: the same, hand-tuned: ASCII paths copied with charCodeAt (encodeInto only for others) ----
function jsProtocol2Ascii(points) {
  let buf = new Uint8Array(1 << 16);
  let dv = new DataView(buf.buffer);
  let pos = 0;
  const ensure = (n) => {
    if (pos + n <= buf.length) return;
    const bigger = new Uint8Array(Math.max(buf.length * 2, pos + n));
    bigger.set(buf.subarray(0, pos));
    buf = bigger;
    dv = new DataView(buf.buffer);
  };
  const starts = [];
  for (let i = 0; i < points.length; i += PER_FRAME) {
    const end = Math.min(points.length, i + PER_FRAME);
    ensure(10);
    const start = pos;
    starts.push(start);
    pos += 4;
    buf[pos++] = 0x80; buf[pos++] = 2; buf[pos++] = 0x5d; buf[pos++] = 0x28;
    for (let k = i; k < end; k++) {
      const p = points[k];
      const path = p.path;
      const n = path.length;
      ensure(n * 3 + 27);
      buf[pos] = 0x58;
      let j = 0;
      for (; j < n; j++) {
        const c = path.charCodeAt(j);
        if (c > 0x7f) break;
        buf[pos + 5 + j] = c;
      }
      const written = j === n ? n : j + te.encodeInto(path.slice(j), buf.subarray(pos + 5 + j)).written;
      dv.setUint32(pos + 1, written, true);
      pos += 5 + written;
      const t = p.timestamp;
      if (Number.isInteger(t) && t >= 0 && t < 2147483648) {
        buf[pos] = 0x4a;
        dv.setInt32(pos + 1, t, true);
        pos += 5;
      } else {
        buf[pos] = 0x47;
        dv.setFloat64(pos + 1, t);
        pos += 9;
      }
      buf[pos] = 0x47;
      dv.setFloat64(pos + 1, p.value);
      buf[pos + 9] = 0x86; buf[pos + 10] = 0x86;
      pos += 11;
    }
    buf[pos++] = 0x65; buf[pos++] = 0x2e;
    dv.setUint32(start, pos - start - 4);
  }
  starts.push(pos);
  const frames = [];
  for (let f = 0; f + 1 < starts.length; f++) frames.push(buf.subarray(starts[f], starts[f + 1]));
  return frames;
}

// ---- peer 1c: the strongest JS peer we could write (issue 10's): one reused Uint8Array for every call, ASCII
// paths copied with charCodeAt (encodeInto for the rest), called with 500 datapoints at a time, and each
// frame handed out as a fresh copy (the buffer is reused by the next call). ----
let reusedBuf = new Uint8Array(1 << 20);
let reusedDv = new DataView(reusedBuf.buffer);
function jsReusedFrame(points, from, to) {
  let pos = 4;
  const need = (n) => {
    if (pos + n <= reusedBuf.length) return;
    const bigger = new Uint8Array(Math.max(reusedBuf.length * 2, pos + n));
    bigger.set(reusedBuf.subarray(0, pos));
    reusedBuf = bigger;
    reusedDv = new DataView(reusedBuf.buffer);
  };
  const buf = () => reusedBuf;
  let b = buf();
  b[pos++] = 0x80; b[pos++] = 2; b[pos++] = 0x5d; b[pos++] = 0x28;
  for (let k = from; k < to; k++) {
    const p = points[k];
    const path = p.path;
    const n = path.length;
    need(n * 3 + 27);
    b = reusedBuf;
    const dv = reusedDv;
    b[pos] = 0x58;
    let j = 0;
    for (; j < n; j++) {
      const c = path.charCodeAt(j);
      if (c > 0x7f) break;
      b[pos + 5 + j] = c;
    }
    const written = j === n ? n : j + te.encodeInto(path.slice(j), b.subarray(pos + 5 + j)).written;
    dv.setUint32(pos + 1, written, true);
    pos += 5 + written;
    const t = p.timestamp;
    if (Number.isInteger(t) && t >= 0 && t < 2147483648) {
      b[pos] = 0x4a;
      dv.setInt32(pos + 1, t, true);
      pos += 5;
    } else {
      b[pos] = 0x47;
      dv.setFloat64(pos + 1, t);
      pos += 9;
    }
    b[pos] = 0x47;
    dv.setFloat64(pos + 1, p.value);
    b[pos + 9] = 0x86; b[pos + 10] = 0x86;
    pos += 11;
  }
  need(2);
  reusedBuf[pos++] = 0x65; reusedBuf[pos++] = 0x2e;
  reusedDv.setUint32(0, pos - 4);
  return reusedBuf.slice(0, pos);
}
function jsReused(points) {
  const frames = [];
  for (let i = 0; i < points.length; i += PER_FRAME) frames.push(jsReusedFrame(points, i, Math.min(points.length, i + PER_FRAME)));
  return frames;
}

// ---- peer 2: statsd's graphite backend style, protocol 0 as one string per frame ----
function statsdProtocol0(points) {
  const frames = [];
  for (let i = 0; i < points.length; i += PER_FRAME) {
    const end = Math.min(points.length, i + PER_FRAME);
    let s = '(l';
    for (let k = i; k < end; k++) {
      const p = points[k];
      s += `(S'${p.path}'\n(L${p.timestamp}L\nS'${p.value}'\ntta`;
    }
    s += '.';
    const payload = te.encode(s);
    const frame = new Uint8Array(payload.length + 4);
    new DataView(frame.buffer).setUint32(0, payload.length);
    frame.set(payload, 4);
    frames.push(frame);
  }
  return frames;
}

// ---- this package ----
const OPTS = { maxPoints: PER_FRAME };
const set = new MetricSet(names, OPTS);
function interned() {
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const v = values.subarray(r * DISTINCT, (r + 1) * DISTINCT);
    for (const f of set.encode(v, T0 + r * 10)) out.push(f);
  }
  return out;
}
// The package called the way the reused-buffer peer is: 500 datapoints per call, frames copied out.
function perCall(points) {
  const out = [];
  for (let i = 0; i < points.length; i += PER_FRAME) for (const f of encodeFrames(points.slice(i, i + PER_FRAME), OPTS)) out.push(f);
  return out;
}
const cases = {
  'careful pure JS, protocol 2': () => jsProtocol2(rows),
  'hand-tuned JS, reused buffer, 500 per call': () => jsReused(rows),
  'carbon-pickle, one-off paths (rows), 500 per call': () => perCall(rows),
  'hand-tuned JS, reused buffer, 500 per call, every path new': () => jsReused(uniqueRows),
  'carbon-pickle, rows, 500 per call, every path new': () => perCall(uniqueRows),
  'pure JS, charCodeAt fast path, protocol 2': () => jsProtocol2Ascii(rows),
  'statsd-style string, protocol 0': () => statsdProtocol0(rows),
  'carbon-pickle, one-off paths (rows)': () => encodeFrames(rows, OPTS),
  'carbon-pickle, one-off paths (columns)': () => encodeFrames({ paths, values, timestamps }, OPTS),
  'carbon-pickle, interned paths (MetricSet)': interned,
  'carbon-pickle, protocol 0 (rows)': () => encodeFrames(rows, { ...OPTS, protocol: 0 }),
};

// ---- correctness first: the package and the careful peer agree byte for byte ----
const concat = (frames) => Buffer.concat(frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
const reference = concat(cases['careful pure JS, protocol 2']());
for (const name of ['pure JS, charCodeAt fast path, protocol 2', 'hand-tuned JS, reused buffer, 500 per call', 'carbon-pickle, one-off paths (rows), 500 per call', 'carbon-pickle, one-off paths (rows)', 'carbon-pickle, one-off paths (columns)', 'carbon-pickle, interned paths (MetricSet)']) {
  const got = concat(cases[name]());
  if (!got.equals(reference)) throw new Error(`${name}: output differs from the pure-JS encoder`);
}

{
  const want = concat(cases['hand-tuned JS, reused buffer, 500 per call, every path new']());
  if (!concat(cases['carbon-pickle, rows, 500 per call, every path new']()).equals(want)) throw new Error('every path new: output differs from the hand-tuned JS encoder');
}

// ---- memory of the recent paths (issue 22): what a full table costs the JS heap; the wasm side holds the
// paths' UTF-8 text and 28 bytes a path, its check and its number (wasm/src/recent.rs) ----
function heapOfMap(keys) {
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const m = new Map();
  for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  global.gc();
  const bytes = process.memoryUsage().heapUsed - before;
  return m.size > 0 ? bytes : 0;
}
const recentMemory = {
  benchPaths: { paths: DISTINCT, jsHeapBytes: heapOfMap(names), wasmBytes: names.reduce((a, p) => a + te.encode(p).length + 28, 0) },
  fullTable: { paths: 4096, jsHeapBytes: heapOfMap(Array.from({ length: 4096 }, (_, i) => `servers.host${i}.cpu.core${i % 8}.user.x`.padEnd(16, 'x'))) },
};

// ---- timing: interleaved runs, median ----
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
let sink = 0;
for (let run = 0; run < RUNS + 1; run++) {
  for (const [name, fn] of Object.entries(cases)) {
    global.gc();
    const t = process.hrtime.bigint();
    const frames = fn();
    const dt = Number(process.hrtime.bigint() - t) / 1e6;
    sink += frames.length;
    if (run > 0) times[name].push(dt); // run 0 warms up
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times['careful pure JS, protocol 2']);
const strongest = median(times['hand-tuned JS, reused buffer, 500 per call']);
const results = Object.entries(times).map(([name, t]) => {
  const ms = median(t);
  return {
    name,
    ms: +ms.toFixed(2),
    nsPerPoint: +((ms * 1e6) / POINTS).toFixed(1),
    speedupVsCarefulJs: +(base / ms).toFixed(2),
    speedupVsReusedJs: +(strongest / ms).toFixed(2),
  };
});
let sizes;
try {
  sizes = JSON.parse(readFileSync(new URL('../pkg/sizes.json', import.meta.url), 'utf8'));
} catch {
  sizes = undefined;
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ points: POINTS, perFrame: PER_FRAME, runs: RUNS, node: process.version, results, wasm: sizes, recentMemory }, null, 2));
} else {
  console.log(`${POINTS} datapoints, frames of ${PER_FRAME}, median of ${RUNS} runs, Node ${process.version} (frames made: ${sink})`);
  for (const r of results) {
    console.log(`${r.name.padEnd(52)} ${String(r.ms).padStart(9)} ms ${String(r.nsPerPoint).padStart(7)} ns/point  ${r.speedupVsCarefulJs.toFixed(2)}x careful JS  ${r.speedupVsReusedJs.toFixed(2)}x reused-buffer JS`);
  }
  if (sizes) console.log(`carbon_pickle_bg.wasm: ${sizes.raw} B from wasm-bindgen, ${sizes.opt} B after wasm-opt, ${sizes.gzip} B gzipped`);
  const m = recentMemory;
  console.log(`recent paths: ${m.benchPaths.paths} bench paths cost ${m.benchPaths.jsHeapBytes} B of JS heap (Map) and ${m.benchPaths.wasmBytes} B in wasm; a full table of ${m.fullTable.paths} paths ${m.fullTable.jsHeapBytes} B of JS heap`);
}
