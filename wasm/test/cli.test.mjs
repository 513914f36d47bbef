// The CLI: plaintext lines in, datapoints in carbon (send) or frames on stdout (encode); bad lines are
// reported with their line numbers and make the exit status non-zero.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { decodeFrames, startCarbon } from './support/carbon.mjs';

const CLI = fileURLToPath(new URL('../bin/carbon-pickle.cjs', import.meta.url));
const T0 = Math.floor(Date.now() / 1000) - 900;

function cli(args, input) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    p.stdin.end(input);
  });
}

// 10,000 good lines (one with no timestamp would be "now": all here have one) and bad ones at known lines.
function input() {
  const lines = [];
  const good = [];
  for (let i = 0; i < 10000; i++) {
    const path = `cli.m${i % 40}`;
    const ts = T0 + Math.floor(i / 40);
    lines.push(`${path} ${i / 4} ${ts}`);
    good.push([path, ts, i / 4]);
  }
  const bad = new Map([
    [3, `cli.bad one ${T0}`], // value not a number
    [5000, `cli..empty 1 ${T0}`], // the encoder's path rules
    [7777, 'just-one-field'],
    [9000, `cli.bad 1 ${T0} extra`],
  ]);
  // In ascending order, each bad line ends up at its own line number.
  for (const [line, text] of bad) lines.splice(line - 1, 0, text);
  return { text: `${lines.join('\n')}\n`, good, badLines: [...bad.keys()] };
}

describe('carbon-pickle CLI', () => {
  let carbon;
  before(async () => {
    carbon = await startCarbon();
  });
  after(async () => {
    await carbon?.stop();
  });

  it('send: the good lines land in carbon, bad ones are reported by line number', async () => {
    const { text, good, badLines } = input();
    const r = await cli(['send', '--to', `127.0.0.1:${carbon.port}`, '--prefix', 'KEY'], text);
    assert.equal(r.code, 1, r.stderr);
    // Line numbers count from 1 in the input as given (bad lines included).
    const reported = [...r.stderr.matchAll(/^carbon-pickle: line (\d+): /gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual(reported, badLines);
    assert.match(r.stderr, /line 3: value "one" is not a number/);
    assert.match(r.stderr, /line 5000: path "cli\.\.empty": invalid path: empty path component at byte 4/);
    assert.match(r.stderr, /line 7777: expected "path value \[timestamp\]", got 1 field/);
    assert.match(r.stderr, /10000 datapoints sent in 20 frames .* 4 bad lines in/);
    await carbon.wait(10000, 60);
    const dump = await carbon.dump();
    const stored = Object.entries(dump).filter(([k]) => k.startsWith('KEY.cli.')).flatMap(([k, pts]) => pts.map(([t, v]) => [k.slice(4), t, v]));
    const key = (a) => `${a[0]} ${a[1]}`;
    assert.deepEqual(stored.sort((a, b) => key(a).localeCompare(key(b))), [...good].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('encode: frames on stdout that CPython decodes to the lines', async () => {
    const { text, good } = input();
    const r = await cli(['encode', '--protocol', '0', '--max-points', '300'], text);
    assert.equal(r.code, 1);
    const frames = await decodeFrames([r.stdout]);
    assert.ok(frames.every((f) => f.length <= 300));
    assert.deepEqual(frames.flat(), good);
  });

  it('encode: exit 0 for clean input, "now" for a missing or -1 timestamp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await cli(['encode', '--quiet'], 'a.b 1 1700000000\r\na.c 2\n\n  a.d   3   -1  \n');
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const [[p1, p2, p3]] = await decodeFrames([r.stdout]);
    assert.deepEqual(p1, ['a.b', 1700000000, 1]);
    for (const [p, want] of [[p2, ['a.c', 2]], [p3, ['a.d', 3]]]) {
      assert.equal(p[0], want[0]);
      assert.equal(p[2], want[1]);
      assert.ok(p[1] >= before && p[1] <= before + 5);
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [[], ['frobnicate'], ['send'], ['encode', '--protocol', '1'], ['encode', '--bogus'], ['send', '--to', 'nohost']]) {
      const r = await cli(args, '');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^carbon-pickle: /);
    }
    const help = await cli(['--help'], '');
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /carbon-pickle send --to HOST:PORT/);
  });
});
