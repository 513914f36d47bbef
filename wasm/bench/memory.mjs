#!/usr/bin/env node
// A long-running sender's memory (not a test): one hour of steady live traffic through one CarbonClient to
// the real carbon (started here on 127.0.0.1 through the tests' harness), compressed: each 10-second
// interval's datapoints are written as soon as the previous interval's are on the socket, so the hour takes
// seconds. After every simulated minute it records the process's RSS, the JS heap in use (after a full
// collection) and the wasm module's memory; then one large encodeFrames call shows what a batch job adds.
//
// Usage: node --expose-gc bench/memory.mjs [--metrics N] [--minutes M]
import { createRequire } from 'node:module';

import { startCarbon } from '../test/support/carbon.mjs';

const require = createRequire(import.meta.url);
const { encodeFrames } = require('../js/node.cjs');
const { CarbonClient } = require('../js/client.cjs');
const wasmMemory = require('../js/load.cjs').instances.get('web').memory; // the module js/node.cjs uses

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const METRICS = arg('--metrics', 200); // whisper files of 1 MB each (the harness keeps 1 s for a day)
const MINUTES = arg('--minutes', 60);
const INTERVAL_S = 10; // each metric is sampled every second and sent every 10 s
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const T0 = Math.floor(Date.now() / 1000) - MINUTES * 60 - 600;
const paths = Array.from({ length: METRICS }, (_, k) => `bench.memory.host${String(k % 20).padStart(2, '0')}.metric${k}`);
const MB = (b) => (b / 2 ** 20).toFixed(1);

function sample(minute) {
  globalThis.gc();
  return { minute, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, wasm: wasmMemory.buffer.byteLength };
}

const carbon = await startCarbon();
try {
  const client = new CarbonClient({ port: carbon.port });
  const samples = [sample(0)];
  const intervals = (MINUTES * 60) / INTERVAL_S;
  for (let k = 0; k < intervals; k++) {
    const points = [];
    for (let s = 0; s < INTERVAL_S; s++) {
      const ts = T0 + k * INTERVAL_S + s;
      for (let m = 0; m < METRICS; m++) points.push({ path: paths[m], value: Math.sin(ts / 60 + m), timestamp: ts });
    }
    if (client.writeMany(points) !== points.length) throw new Error(`interval ${k}: datapoints refused`);
    await client.flush({ timeout: 60_000 });
    if ((k + 1) % (60 / INTERVAL_S) === 0) samples.push(sample((k + 1) / (60 / INTERVAL_S)));
  }
  await client.close({ timeout: 60_000 });
  const { stats } = client;
  const sent = intervals * INTERVAL_S * METRICS;
  if (stats.points !== sent || stats.dropped !== 0) throw new Error(`client: ${JSON.stringify(stats)}`);

  console.log(`${MINUTES} simulated minutes, ${METRICS} metrics sampled every second, sent every ${INTERVAL_S} s: ${sent.toLocaleString('en')} datapoints to carbon 1.1.10 on 127.0.0.1, ${stats.connects ?? 1} connection(s)`);
  console.log('| after minute | RSS MB | JS heap MB (after gc) | wasm memory MB |');
  console.log('|---:|---:|---:|---:|');
  const shown = samples.filter((s) => [0, 1, 5, 10, 30].includes(s.minute) || s.minute === MINUTES);
  for (const s of shown) console.log(`| ${s.minute} | ${MB(s.rss)} | ${MB(s.heap)} | ${MB(s.wasm)} |`);
  const tenth = samples.find((s) => s.minute === Math.min(10, MINUTES));
  const last = samples[samples.length - 1];
  console.log(`from minute ${tenth.minute} to ${last.minute}: RSS ${last.rss >= tenth.rss ? '+' : ''}${MB(last.rss - tenth.rss)} MB, heap ${last.heap >= tenth.heap ? '+' : ''}${MB(last.heap - tenth.heap)} MB, wasm ${last.wasm >= tenth.wasm ? '+' : ''}${MB(last.wasm - tenth.wasm)} MB`);

  // A batch job in the same process: one encodeFrames of 1,000,000 datapoints.
  const n = 1_000_000;
  const frames = encodeFrames({ paths: Array.from({ length: n }, (_, i) => paths[i % METRICS]), values: new Float64Array(n).fill(1.5), timestamps: T0 });
  const bytes = frames.reduce((sum, f) => sum + f.length, 0);
  const after = sample('batch');
  console.log(`then encodeFrames of ${n.toLocaleString('en')} datapoints in one call: ${MB(bytes)} MB of frames; wasm memory ${MB(after.wasm)} MB (${(after.wasm / bytes).toFixed(2)}x the frames)`);
} finally {
  await carbon.stop();
}
