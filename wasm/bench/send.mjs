#!/usr/bin/env node
// Sender throughput (not a test): datapoints per second delivered to the real carbon (started here on
// 127.0.0.1 through the tests' harness), beside the raw encode rate, all in the same run:
//
//   encode only        encodeFrames(rows) into frames that go nowhere
//   CarbonClient       pipeFrom(an async generator of row batches) to carbon, until close() resolves
//   CLI                `carbon-pickle send` of the same datapoints as plaintext lines on stdin
//
// "Delivered" means written to carbon's socket; carbon itself stores them later. Medians of 3 runs.
// Usage: node bench/send.mjs [--points N]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { startCarbon } from '../test/support/carbon.mjs';

const require = createRequire(import.meta.url);
const { encodeFrames } = require('../js/node.cjs');
const { CarbonClient } = require('../js/client.cjs');

const i = process.argv.indexOf('--points');
const POINTS = i > 0 ? Number(process.argv[i + 1]) : 500_000;
const BATCH = 2000;
const T0 = Math.floor(Date.now() / 1000) - 80000;
const row = (k) => ({ path: `bench.send.host${String(k % 50).padStart(3, '0')}.cpu${k % 20}`, value: k / 4, timestamp: T0 + Math.floor(k / 1000) });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function* batches() {
  for (let k = 0; k < POINTS; k += BATCH) yield Array.from({ length: Math.min(BATCH, POINTS - k) }, (_, j) => row(k + j));
}

function encodeOnly() {
  const t = performance.now();
  for (let k = 0; k < POINTS; k += BATCH) encodeFrames(Array.from({ length: Math.min(BATCH, POINTS - k) }, (_, j) => row(k + j)));
  return performance.now() - t;
}

async function viaClient(port) {
  const t = performance.now();
  const client = new CarbonClient({ port });
  await client.pipeFrom(batches());
  await client.close();
  if (client.stats.points !== POINTS || client.stats.dropped !== 0) throw new Error(`client: ${JSON.stringify(client.stats)}`);
  return performance.now() - t;
}

function viaCli(port) {
  let text = '';
  for (let k = 0; k < POINTS; k++) {
    const p = row(k);
    text += `${p.path} ${p.value} ${p.timestamp}\n`;
  }
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const cli = spawn(process.execPath, [fileURLToPath(new URL('../bin/carbon-pickle.cjs', import.meta.url)), 'send', '--quiet', '--to', `127.0.0.1:${port}`], { stdio: ['pipe', 'ignore', 'inherit'] });
    cli.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`CLI exited ${code}`))));
    cli.stdin.end(text);
  });
}

const carbon = await startCarbon();
try {
  const times = { encode: [], client: [], cli: [] };
  for (let r = 0; r < 3; r++) {
    times.encode.push(encodeOnly());
    times.client.push(await viaClient(carbon.port));
    times.cli.push(await viaCli(carbon.port));
  }
  const rate = (ms) => Math.round((POINTS / ms) * 1000);
  const enc = rate(median(times.encode));
  console.log(`${POINTS} datapoints, medians of 3 runs, carbon 1.1.10 on 127.0.0.1`);
  console.log('| path | datapoints/s | vs encode only |');
  console.log('|---|---:|---:|');
  for (const [name, label] of [['encode', 'encodeFrames(rows), encode only'], ['client', 'CarbonClient.pipeFrom → carbon'], ['cli', '`carbon-pickle send` (lines on stdin, process start included) → carbon']]) {
    const r = rate(median(times[name]));
    console.log(`| ${label} | ${r.toLocaleString('en')} | ${(r / enc).toFixed(2)}x |`);
  }
} finally {
  await carbon.stop();
}
