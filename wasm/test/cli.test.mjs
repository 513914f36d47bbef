// The CLI: plaintext lines in, datapoints in carbon (send) or frames on stdout (encode); bad lines are
// reported with their line numbers and make the exit status non-zero. `inspect` explains frames CPython
// made as pickletools.dis does, and refuses what carbon would refuse.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PYTHON, decodeFrames, startCarbon } from './support/carbon.mjs';

const CLI = fileURLToPath(new URL('../bin/carbon-pickle.cjs', import.meta.url));
const T0 = Math.floor(Date.now() / 1000) - 900;

function cli(args, input, env = process.env) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    p.stdin.end(input);
  });
}

// Runs the CLI with `input` streamed from a generator of chunks (so a test can send a line larger than it
// wants to hold); resolves with the exit code, stderr and the CLI's peak RSS in KB (written by a preload
// at exit, from process.resourceUsage()). With `onStdout`, stdout goes to it instead of being kept.
function cliStreamed(args, chunks, onStdout) {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-rss-'));
  const preload = join(dir, 'rss.cjs');
  const rssFile = join(dir, 'rss');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--require', preload, CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    p.stdout.on('data', onStdout ?? ((d) => out.push(d)));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => {
      const rss = Number(readFileSync(rssFile, 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), rss });
    });
    p.stdin.on('error', () => {}); // the CLI may exit before reading everything (it should not)
    (async () => {
      for (const c of chunks) if (!p.stdin.write(c)) await new Promise((r) => p.stdin.once('drain', r));
      p.stdin.end();
    })();
  });
}

// Sends `text` to carbon's own line receiver (its plaintext port) in one connection.
function sendToLinePort(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(text));
    s.on('close', resolve);
    s.on('error', reject);
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
    assert.match(r.stderr, /10000 datapoints written in 20 frames .* 4 bad lines in/);
    await carbon.wait(10000, 60);
    const dump = await carbon.dump();
    const stored = Object.entries(dump).filter(([k]) => k.startsWith('KEY.cli.')).flatMap(([k, pts]) => pts.map(([t, v]) => [k.slice(4), t, v]));
    const key = (a) => `${a[0]} ${a[1]}`;
    assert.deepEqual(stored.sort((a, b) => key(a).localeCompare(key(b))), [...good].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('send --timeout 3 to a dead port: exit 4 within 10 s, says how many were not delivered, bad lines still numbered', async () => {
    const dead = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const r = await cli(['send', '--to', `127.0.0.1:${dead}`, '--timeout', '3'], `a.b 1 ${T0}\nbad line here too\na.c 2 ${T0}\na..d 3 ${T0}\na.e 4 ${T0}\n`);
    const took = Date.now() - started;
    assert.equal(r.code, 4, r.stderr);
    assert.ok(took < 10000, `took ${took} ms`);
    assert.ok(took >= 3000, `gave up after ${took} ms, before its timeout`);
    // A line with the wrong number of fields is quoted (the core's reader words every refusal).
    assert.match(r.stderr, /^carbon-pickle: line 2: expected "path value \[timestamp\]", got 4 fields: "bad line here too"$/m);
    assert.match(r.stderr, /^carbon-pickle: line 4: path "a\.\.d": invalid path/m);
    assert.match(r.stderr, /ECONNREFUSED/);
    assert.match(r.stderr, /^carbon-pickle: 3 of 3 datapoints not delivered: .*no progress for 3 s$/m);
    const bad = await cli(['send', '--to', `127.0.0.1:${dead}`, '--timeout', 'soon'], '');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout must be a number of seconds/);
  });

  it('send: 300,000 lines through the queue bound, none dropped (it waits for room)', async () => {
    const lines = [];
    for (let i = 0; i < 300000; i++) lines.push(`bulk.m${i % 500} ${i} ${T0 + Math.floor(i / 500)}`);
    const r = await cli(['send', '--to', `127.0.0.1:${carbon.port}`], `${lines.join('\n')}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /300000 datapoints written in \d+ frames/);
    assert.doesNotMatch(r.stderr, /dropped/);
    await carbon.wait(310000, 120);
    const dump = await carbon.dump();
    let stored = 0;
    for (let k = 0; k < 500; k++) {
      const pts = dump[`bulk.m${k}`];
      assert.equal(pts.length, 600, `bulk.m${k}`);
      pts.forEach(([t, v], s) => assert.deepEqual([t, v], [T0 + s, s * 500 + k]));
      stored += pts.length;
    }
    assert.equal(stored, 300000);
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

  // The prefix is Hosted Graphite's API key: given by the environment, a file or --prefix, it reaches carbon
  // in front of every path and is never printed, whatever goes wrong (bad lines, a bad prefix, a dead receiver).
  it('the prefix from CARBON_PICKLE_PREFIX, --prefix-file or --prefix: stored under it, never printed', async (t) => {
    const SECRET = '7f3c9a2e-5b1d-4e8f-a6c0-d94b21e5f873';
    const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, `${SECRET}\n`);
    const crlfFile = join(dir, 'key-crlf');
    writeFileSync(crlfFile, `${SECRET}\r\n`);
    const noEnv = { ...process.env };
    delete noEnv.CARBON_PICKLE_PREFIX;
    const ways = {
      env: { args: [], env: { ...noEnv, CARBON_PICKLE_PREFIX: SECRET } },
      file: { args: ['--prefix-file', keyFile], env: noEnv },
      crlf: { args: ['--prefix-file', crlfFile], env: noEnv },
      arg: { args: ['--prefix', SECRET], env: noEnv },
    };
    const unseen = (r, what, stdout = true) => {
      assert.ok(!r.stderr.includes(SECRET), `${what}: the prefix on stderr:\n${r.stderr}`);
      if (stdout) assert.ok(!r.stdout.includes(SECRET), `${what}: the prefix on stdout`);
    };
    const dead = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    for (const [way, { args, env }] of Object.entries(ways)) {
      const good = [0, 1, 2].map((i) => [`cli.secret.${way}.m${i}`, T0 + i, i + 0.5]);
      const line = ([path, ts, v]) => `${path} ${v} ${ts}`;
      const text = [
        line(good[0]),
        `cli.secret.${way}..bad 1 ${T0}`, // the encoder's path rules: quoted without the prefix
        line(good[1]),
        `cli.secret.${way}.x notanumber ${T0}`,
        line(good[2]),
        'one-field',
      ].join('\n');
      const sent = await cli(['send', '--to', `127.0.0.1:${carbon.port}`, ...args], `${text}\n`, env);
      assert.equal(sent.code, 1, `${way}: ${sent.stderr}`);
      unseen(sent, `${way} send`);
      assert.match(sent.stderr, new RegExp(`^carbon-pickle: line 2: path "cli\\.secret\\.${way}\\.\\.bad": invalid path: empty path component at byte ${`cli.secret.${way}.`.length}$`, 'm'));
      assert.match(sent.stderr, /^carbon-pickle: line 4: value "notanumber" is not a number$/m);
      assert.match(sent.stderr, /3 datapoints written .* 3 bad lines/);
      await carbon.wait(3, 60, `${SECRET}.cli.secret.${way}.`);
      const dump = await carbon.dump(`${SECRET}.cli.secret.${way}.`);
      assert.deepEqual(
        Object.entries(dump).flatMap(([k, pts]) => pts.map(([ts, v]) => [k, ts, v])).sort(),
        good.map(([p, ts, v]) => [`${SECRET}.${p}`, ts, v]).sort(),
      );
      const down = await cli(['send', '--to', `127.0.0.1:${dead}`, '--timeout', '2', ...args], `${text}\n`, env);
      assert.equal(down.code, 4, `${way}: ${down.stderr}`);
      unseen(down, `${way} send to a dead port`);
      assert.match(down.stderr, /3 of 3 datapoints not delivered: .*ECONNREFUSED/);
      // encode writes the prefix into the frames (stdout), and nowhere else.
      const enc = await cli(['encode', ...args], `${text}\n`, env);
      assert.equal(enc.code, 1, `${way}: ${enc.stderr}`);
      unseen(enc, `${way} encode`, false);
      assert.deepEqual((await decodeFrames([enc.stdout])).flat(), good.map(([p, ts, v]) => [`${SECRET}.${p}`, ts, v]));
    }
    // A prefix the encoder refuses (a space; a second line in the file) is refused without being quoted.
    const spaced = join(dir, 'spaced');
    writeFileSync(spaced, `${SECRET} x\n`);
    const twoLines = join(dir, 'two-lines');
    writeFileSync(twoLines, `${SECRET}\nmore\n`);
    for (const [what, args, env] of [
      ['a space, from the environment', ['encode'], { ...noEnv, CARBON_PICKLE_PREFIX: `${SECRET} x` }],
      ['a space, from a file', ['send', '--to', `127.0.0.1:${dead}`, '--prefix-file', spaced], noEnv],
      ['two lines in the file', ['encode', '--prefix-file', twoLines], noEnv],
      ['a space, --prefix', ['send', '--to', `127.0.0.1:${dead}`, '--prefix', `${SECRET} x`], noEnv],
    ]) {
      const r = await cli(args, 'a.b 1 1700000000\n', env);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /^carbon-pickle: invalid prefix \(from (CARBON_PICKLE_PREFIX|--prefix-file \S+|--prefix)\): invalid character "(\\n| )" at byte 36$/m, what);
      unseen(r, what);
    }
    const short = await cli(['encode', '--prefix', 'k y'], 'a.b 1 1700000000\n', noEnv);
    assert.equal(short.code, 2, short.stderr);
    assert.equal(short.stderr, 'carbon-pickle: invalid prefix (from --prefix): invalid character " " at byte 1\n');
    // Precedence: --prefix, then --prefix-file, then the environment; an empty prefix is refused.
    const decoded = async (args, env) => {
      const r = await cli(['encode', '--quiet', ...args], 'a.b 1 1700000000\n', env);
      assert.equal(r.code, 0, r.stderr);
      return (await decodeFrames([r.stdout])).flat()[0][0];
    };
    const fromEnv = { ...noEnv, CARBON_PICKLE_PREFIX: 'ENV' };
    writeFileSync(join(dir, 'file'), 'FILE\n');
    assert.equal(await decoded(['--prefix', 'ARG', '--prefix-file', join(dir, 'file')], fromEnv), 'ARG.a.b');
    assert.equal(await decoded(['--prefix-file', join(dir, 'file')], fromEnv), 'FILE.a.b');
    assert.equal(await decoded([], fromEnv), 'ENV.a.b');
    assert.equal(await decoded([], noEnv), 'a.b');
    for (const [args, env, why] of [
      [[], { ...noEnv, CARBON_PICKLE_PREFIX: '' }, /the prefix from CARBON_PICKLE_PREFIX is empty/],
      [['--prefix-file', join(dir, 'nothing')], noEnv, /--prefix-file: cannot read .*nothing \(ENOENT\)/],
    ]) {
      const r = await cli(['encode', ...args], 'a.b 1 1700000000\n', env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, why);
    }
  });

  // The lines are read by the core's plaintext reader (Rust, through wasm), as carbon's own line receiver
  // reads them: the same text sent to carbon's line port and through the CLI stores the same datapoints.
  // Before (a JavaScript reader), the CLI took 0x10 as 16, split a line at a lone CR and, under Bun and
  // Deno, at U+2028, and made invalid UTF-8 into U+FFFD.
  it('reads lines as carbon does: the CLI stores what carbon\'s own line receiver stores', async () => {
    const t = T0 + 100;
    // [path suffix, rest of the line after the path, stored by carbon]
    const cases = [
      ['plain', ` 1.5 ${t}`, true],
      ['tabs.crlf', `\t2\t${t}\r`, true],
      ['spaces', `   3   ${t}   `, true],
      ['lone.cr.between', `\r4\r${t}`, true],
      ['lone.cr.inside', ` 5 ${t - 100}\r00`, false], // four fields
      ['u2028.between', `\u20286\u2028${t}`, true],
      ['u3000.nbsp', `\u30007\u00a0${t}`, true],
      ['ascii.separators', `\x1c8\x1f${t}`, true],
      ['underscores', ` 1_000.5 ${t}`, true],
      ['hex', ` 0x10 ${t}`, false],
      ['binary.ts', ' 1 0b11', false],
      ['octal.ts', ' 1 0o17', false],
      ['arabic.digits', ` \u0661\u0662 ${t}`, true],
      ['dot.five', ` +.5 ${t}`, true],
      ['five.dot', ` 5. ${t}`, true],
      ['exponent', ` 1e3 ${t}`, true],
      ['nan', ` nan ${t}`, false], // carbon skips NaN values; the CLI refuses them
      ['extra', ` 1 ${t} extra`, false],
      ['double.underscore', ` 1__0 ${t}`, false],
      ['fractional.ts', ` 9 ${t}.75`, true],
      ['u2028\u2028inside', ` 10 ${t}`, false], // U+2028 splits the path: four fields
      ['zwsp\u200bkept', ` 11 ${t}`, true], // U+200B is not whitespace: part of the path
    ];
    const text = (prefix) => `${cases.map(([p, rest], i) => `${prefix}m${i}.${p}${rest}`).join('\n')}\n`;
    await sendToLinePort(carbon.linePort, text('lp.line.'));
    const r = await cli(['send', '--to', `127.0.0.1:${carbon.port}`, '--prefix', 'lp.cli'], text(''));
    assert.equal(r.code, 1, r.stderr);
    const refused = [...r.stderr.matchAll(/^carbon-pickle: line (\d+): /gm)].map((m) => Number(m[1]));
    assert.deepEqual(refused, cases.flatMap(([, , stored], i) => (stored ? [] : [i + 1])));
    for (const said of [
      `line 5: expected "path value [timestamp]", got 4 fields: "m4.lone.cr.inside 5 ${t - 100}\\r00"`,
      'line 10: value "0x10" is not a number',
      'line 11: timestamp "0b11" is not a number',
      'line 12: timestamp "0o17" is not a number',
      'line 17: value "nan" is NaN (carbon skips NaN values)',
      `line 21: expected "path value [timestamp]", got 4 fields: "m20.u2028\\u{2028}inside 10 ${t}"`,
    ]) {
      assert.ok(r.stderr.includes(`carbon-pickle: ${said}\n`), `${said}\n${r.stderr}`);
    }
    const stored = cases.filter(([, , s]) => s).length;
    await carbon.wait(2 * stored, 60, 'lp.');
    const byLine = await carbon.dump('lp.line.');
    const byCli = await carbon.dump('lp.cli.');
    const strip = (dump, prefix) => Object.fromEntries(Object.entries(dump).map(([k, v]) => [k.slice(prefix.length), v]));
    assert.equal(Object.keys(byLine).length, stored);
    assert.deepEqual(strip(byCli, 'lp.cli.'), strip(byLine, 'lp.line.'));
    assert.deepEqual(byCli['lp.cli.m12.arabic.digits'], [[t, 12]]);
    assert.deepEqual(byCli['lp.cli.m19.fractional.ts'], [[t, 9]]);
  });

  // carbon's line receiver drops the whole connection on invalid UTF-8 (an UnicodeDecodeError outside its
  // try) and on a line over 16,384 bytes, losing every line after; the CLI refuses that line only.
  it('invalid UTF-8 and over-long lines: that line refused with its number, the others delivered', async () => {
    const t = T0 + 200;
    const bytes = Buffer.concat([
      Buffer.from(`PFX.a 1 ${t}\nPFX.b`),
      Buffer.from([0xff]),
      Buffer.from(` 2 ${t}\nPFX.c 3 ${t}\n${'x'.repeat(20000)} 4 ${t}\nPFX.d 5 ${t}\n`),
    ]);
    const swap = (prefix) => Buffer.from(bytes.toString('latin1').replaceAll('PFX', prefix), 'latin1');
    await sendToLinePort(carbon.linePort, swap('bad.line'));
    const r = await cli(['send', '--to', `127.0.0.1:${carbon.port}`], swap('bad.cli'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^carbon-pickle: line 2: invalid UTF-8 at byte 9: "bad\.cli\.b\\xff 2 \d+"$/m);
    assert.match(r.stderr, /^carbon-pickle: line 4: longer than 16384 bytes, skipped: "x{200}"\.\.\. \(200\d\d bytes\)$/m);
    assert.match(r.stderr, /3 datapoints written in 1 frames .* 2 bad lines/);
    await carbon.wait(3, 60, 'bad.cli.');
    assert.deepEqual(Object.keys(await carbon.dump('bad.cli.')).sort(), ['bad.cli.a', 'bad.cli.c', 'bad.cli.d']);
    // carbon itself stored the first line only: the connection was gone after the second.
    await carbon.wait(1, 60, 'bad.line.');
    assert.deepEqual(Object.keys(await carbon.dump('bad.line.')), ['bad.line.a']);
  });

  // Before, a line of 10 MB made the CLI's regular expression overflow the stack: exit 2, nothing sent.
  // Now it streams by in a 16 KiB buffer.
  it('a 10 MB line among 20 good ones: the 20 delivered, exit 1, memory bounded; a 256 MB line too', async (ctx) => {
    const t = T0 + 300;
    const good = (k) => Buffer.from(Array.from({ length: 10 }, (_, i) => `huge.m${k + i} ${k + i} ${t}\n`).join(''));
    const MiB = Buffer.alloc(1 << 20, 'y');
    const tenMb = function* () {
      yield good(0);
      for (let i = 0; i < 10; i++) yield MiB;
      yield Buffer.from(` 1 ${t}\n`);
      yield good(10);
    };
    const r = await cliStreamed(['send', '--to', `127.0.0.1:${carbon.port}`], tenMb());
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^carbon-pickle: line 11: longer than 16384 bytes, skipped: "y{200}"\.\.\. \(104857\d\d bytes\)$/m);
    assert.match(r.stderr, /21 lines, 20 datapoints written .* 1 bad lines/);
    await carbon.wait(20, 60, 'huge.');
    const dump = await carbon.dump('huge.');
    assert.deepEqual(Object.keys(dump).length, 20);
    for (let k = 0; k < 20; k++) assert.deepEqual(dump[`huge.m${k}`], [[t, k]]);
    ctx.diagnostic(`peak RSS with a 10 MB line: ${(r.rss / 1024).toFixed(0)} MB`);
    // A line far larger than the process is allowed to grow.
    const big = function* () {
      yield good(100);
      for (let i = 0; i < 256; i++) yield MiB;
      yield Buffer.from(` 1 ${t}\n`);
      yield good(110);
    };
    const e = await cliStreamed(['encode'], big());
    assert.equal(e.code, 1, e.stderr);
    assert.match(e.stderr, /\(2684354\d\d bytes\)$/m);
    assert.equal((await decodeFrames([e.stdout])).flat().length, 20);
    ctx.diagnostic(`peak RSS with a 256 MB line: ${(e.rss / 1024).toFixed(0)} MB`);
    assert.ok(e.rss < 160 * 1024, `peak RSS ${e.rss} KB with a 256 MB line`);
    assert.ok(r.rss < 160 * 1024, `peak RSS ${r.rss} KB with a 10 MB line`);
  });

  // 100,000 refused lines cost about what 100,000 good ones cost (a refused path used to cost 160 µs: the
  // batch was taken apart around it and laid out again).
  it('refused lines cost what good lines cost', async (ctx) => {
    const n = 100000;
    const run = async (make) => {
      const lines = Array.from({ length: n }, (_, i) => make(i)).join('\n');
      const started = process.hrtime.bigint();
      const r = await cli(['encode', '--quiet'], `${lines}\n`);
      return { r, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const good = await run((i) => `cost.m${i % 500} ${i} ${T0}`);
    assert.equal(good.r.code, 0, good.r.stderr);
    ctx.diagnostic(`${n} good lines: ${good.ms.toFixed(0)} ms`);
    for (const [what, make] of [
      ['not a number', (i) => `cost.m${i % 500} 0x${i} ${T0}`],
      ['bad path', (i) => `cost..m${i % 500} ${i} ${T0}`],
      ['milliseconds', (i) => `cost.m${i % 500} ${i} ${T0}000`],
      ['one field', (i) => `cost.m${i % 500}`],
    ]) {
      const bad = await run(make);
      assert.equal(bad.r.code, 1);
      assert.equal(bad.r.stderr.split('\n').length - 1, n, what);
      ctx.diagnostic(`${n} refused lines (${what}): ${bad.ms.toFixed(0)} ms`);
      assert.ok(bad.ms < 3 * good.ms + 1000, `${what}: ${bad.ms.toFixed(0)} ms for ${n} refused lines, ${good.ms.toFixed(0)} ms for good ones`);
    }
  });

  // The reader checks each datapoint with the encoder's rules before the JavaScript sees it, with the
  // protocol's own sizes (its module has protocol 0 too): a protocol-0 datapoint a few bytes over
  // --max-bytes, which protocol 2 would fit, is refused by its line in the reader's words, the others encoded.
  it('encode --protocol 0: a datapoint only protocol 0 makes too large is reported by its line', async () => {
    const path = `a.${'b'.repeat(70)}`;
    const r = await cli(['encode', '--protocol', '0', '--max-bytes', '100'], `x.y 1 1700000000\n${path} 1 1700000000\nx.z 2 1700000000\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^carbon-pickle: line 2: datapoint needs 99 bytes but a frame has room for at most 97: "${path} 1 1700000000"$`, 'm'));
    assert.deepEqual((await decodeFrames([r.stdout])).flat(), [['x.y', 1700000000, 1], ['x.z', 1700000000, 2]]);
  });

  // The reader is the same wasm in every runtime: Bun and Deno run the CLI (from the repository here; the
  // packed CLI in every-runtime.test.mjs) and read the same lines as Node, byte for byte.
  it('Node, Bun and Deno read the same lines', async () => {
    const input = Buffer.from(`rt.a\u20281\u2028${T0}\nrt.b 2 ${T0}\r\nrt.c 1 17000\r00000\nrt.d 0x10 ${T0}\nrt.e\u00853\u0085${T0}\nrt.f 4\n`);
    const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
    const runtimes = {
      node: [process.execPath],
      bun: [bin('bun')],
      deno: [bin('deno'), 'run', '--quiet', '--no-config', '--no-prompt', '--allow-read', '--allow-env'],
    };
    const seen = {};
    for (const [name, argv] of Object.entries(runtimes)) {
      seen[name] = await new Promise((resolve) => {
        const p = spawn(argv[0], [...argv.slice(1), CLI, 'encode', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        let err = '';
        p.stdout.on('data', (d) => out.push(d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => resolve({ code, stderr: err, stdout: Buffer.concat(out) }));
        p.stdin.end(input);
      });
    }
    assert.equal(seen.node.code, 1, seen.node.stderr);
    assert.equal(
      seen.node.stderr,
      'carbon-pickle: line 3: expected "path value [timestamp]", got 4 fields: "rt.c 1 17000\\r00000"\n' +
        'carbon-pickle: line 4: value "0x10" is not a number\n',
    );
    const points = (await decodeFrames([seen.node.stdout])).flat();
    assert.deepEqual(points.slice(0, 3), [['rt.a', T0, 1], ['rt.b', T0, 2], ['rt.e', T0, 3]]);
    assert.equal(points[3][0], 'rt.f'); // no timestamp: now
    for (const name of ['bun', 'deno']) {
      assert.equal(seen[name].code, 1, `${name}: ${seen[name].stderr}`);
      assert.equal(seen[name].stderr, seen.node.stderr, name);
      assert.equal((await decodeFrames([seen[name].stdout])).flat().length, 4, name);
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [[], ['frobnicate'], ['send'], ['encode', '--protocol', '1'], ['encode', '--bogus'], ['send', '--to', 'nohost']]) {
      const r = await cli(args, '');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^carbon-pickle: /);
    }
    // Frames above carbon's 1 MiB need the receiver's word for it (carbon would drop the connection).
    const big = await cli(['send', '--to', '127.0.0.1:1', '--max-bytes', '2000000'], 'a.b 1 1700000000\n');
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stderr, /--max-bytes 2000000 is more than the receiver takes .* --receiver-max-bytes/);
    const help = await cli(['--help'], '');
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /carbon-pickle send --to HOST:PORT/);
  });
});

// Frames made by CPython: pickle.dumps(points, protocol=2) behind a struct header, with pickletools' view
// of each payload and the datapoints as Python's repr shows them.
function cpythonFrames(framesOfPoints) {
  const script = `
import io, json, os, pickle, pickletools, struct, sys
out = {'hex': '', 'dis': [], 'points': []}
for frame in json.loads(sys.argv[1]):
    if frame == 'GLOBAL':
        points = [('evil.path', (1700000000, os.system))]
    else:
        points = [(p, (t, v)) for p, t, v in frame]
        out['points'] += ['  %r %r %r' % (p, float(t), float(v)) for p, (t, v) in points]
    payload = pickle.dumps(points, protocol=2)
    out['hex'] += (struct.pack('!L', len(payload)) + payload).hex()
    dis = io.StringIO()
    pickletools.dis(payload, dis)
    out['dis'] += dis.getvalue().splitlines()
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(framesOfPoints)], { encoding: 'utf8' }));
}

describe('carbon-pickle inspect', () => {
  const POINTS = [
    [
      ['sensors.kitchen.temperature', 1700000000, 21.5],
      ['sensors.cellar.température', 1700000060, -3.25],
      ['sensors.kitchen.temperature', 1700000120, 22],
    ],
    [['servers.web01.load', 1700000180.5, 1e-7]],
  ];

  function assertExplains(r, py) {
    const lines = r.stdout.toString().split('\n');
    for (const l of py.dis) assert.ok(lines.includes(l), `pickletools line missing: ${JSON.stringify(l)}\n${lines.join('\n')}`);
    for (const l of py.points) assert.ok(lines.includes(l), `datapoint line missing: ${JSON.stringify(l)}\n${lines.join('\n')}`);
  }

  it('binary frames on stdin: every pickletools.dis line and every datapoint, exit 0', async () => {
    const py = cpythonFrames(POINTS);
    // CPython memoizes with BINPUT and writes the paths as BINUNICODE: the listing has to show both.
    assert.ok(py.dis.some((l) => / BINPUT /.test(l)) && py.dis.some((l) => / BINUNICODE /.test(l)));
    const r = await cli(['inspect'], Buffer.from(py.hex, 'hex'));
    assert.equal(r.code, 0, r.stderr);
    assertExplains(r, py);
    assert.match(r.stdout.toString(), /^frame 2 at byte \d+: \d+ payload bytes$/m);
    assert.equal(r.stderr, 'carbon-pickle: 2 frames, 0 refused, 4 datapoints carbon would store\n');
  });

  it('--hex as pasted: spaced, 0x, \\x, unquoted; --hex - reads it from stdin', async () => {
    const py = cpythonFrames(POINTS);
    const pairs = py.hex.match(/../g);
    const ways = [
      { args: ['--hex', py.hex] },
      { args: ['--hex', pairs.join(' ')] },
      { args: ['--hex', pairs.map((b) => `0x${b.toUpperCase()}`).join(', ')] },
      { args: ['--hex', pairs.map((b) => `\\x${b}`).join('')] },
      { args: ['--hex', ...pairs] },
      { args: ['--hex', '-'], input: `${pairs.join(':').replace(/(.{48})/g, '$1\n')}\n` },
    ];
    for (const { args, input } of ways) {
      const r = await cli(['inspect', '--quiet', ...args], input ?? '');
      assert.equal(r.code, 0, `${args.slice(0, 3).join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assertExplains(r, py);
    }
  });

  it('a frame carbon would refuse (GLOBAL) exits 1 with the reason, the good frames still listed', async () => {
    const py = cpythonFrames([POINTS[0], 'GLOBAL', POINTS[1]]);
    assert.ok(py.dis.some((l) => / GLOBAL /.test(l)));
    for (const args of [['inspect'], ['inspect', '--hex', py.hex]]) {
      const r = await cli(args, args.length === 1 ? Buffer.from(py.hex, 'hex') : '');
      assert.equal(r.code, 1, r.stderr);
      const out = r.stdout.toString();
      assert.match(out, /^refused: .*GLOBAL/m);
      assert.deepEqual(out.match(/^refused: .*/gm).length, 1);
      assert.match(r.stderr, /3 frames, 1 refused, 4 datapoints carbon would store/);
      for (const l of py.points) assert.ok(out.split('\n').includes(l), `datapoint line missing: ${l}`);
    }
  });

  // Frames made to blow the listing up: before, 1 MiB of MARK printed 287 MB (every line indented once
  // more) and took 1.4 GB. Now the listing stops at the opcode the decoder refuses, and no listing passes
  // 50 bytes per input byte.
  it('floods: MARK × 1 MiB, MEMOIZE × 1 MiB, 100,000 nested tuples; output under 50 bytes per frame byte', async () => {
    const MiB = 1 << 20;
    const framed = (...parts) => {
      const payload = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length);
      return Buffer.concat([header, payload]);
    };
    const floods = [
      {
        name: 'MARK flood',
        frame: framed(Buffer.alloc(MiB, '(')),
        code: 1,
        ends: '   64: (    ' + ' '.repeat(256) + 'MARK\n1048511 byte(s) after the refusal not listed\nrefused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)\n',
        summary: '1 frame, 1 refused, 0 datapoints carbon would store',
        under: 10_000,
      },
      {
        name: 'memo flood',
        frame: framed('\x80\x04]', Buffer.alloc(MiB - 4, 0x94), '.'),
        code: 1,
        ends: ' 2562: \\x94 MEMOIZE    (as 2559)\n1046013 byte(s) after the refusal not listed\nrefused: frame needs more than the 2560 workspace slots given (2560 memo + 1 stack) at byte 2562 (opcode 0x94 MEMOIZE)\n',
        summary: '1 frame, 1 refused, 0 datapoints carbon would store',
        under: 100_000,
      },
      {
        name: '100,000 nested tuples',
        frame: framed('\x80\x02](X\x03\x00\x00\x00a.bK\x01K\x02\x86\x86', Buffer.alloc(100_000, 0x85), 'e.'),
        code: 0,
        ends: '100019: .    STOP\nhighest protocol among opcodes = 2\ndatapoints: 0, skipped: 1\n  element 0 skipped: not a (path, (timestamp, value)) tuple (appended at byte 100018)\n',
        summary: '1 frame, 0 refused, 0 datapoints carbon would store, 1 elements carbon would skip',
        under: 50 * 100_024,
      },
    ];
    for (const { name, frame, code, ends, summary, under } of floods) {
      const started = Date.now();
      const r = await cli(['inspect'], frame);
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      assert.ok(r.stdout.length <= 50 * frame.length, `${name}: ${r.stdout.length} bytes of listing for ${frame.length}`);
      assert.ok(r.stdout.length <= under, `${name}: ${r.stdout.length} bytes of listing`);
      const out = r.stdout.toString();
      assert.ok(out.endsWith(ends), `${name}: ends with\n${out.slice(-400)}`);
      assert.equal(r.stderr, `carbon-pickle: ${summary}\n`, name);
      assert.ok(Date.now() - started < 20_000, `${name}: ${Date.now() - started} ms`);
    }
    // Pasted as hex, the MARK flood reads the same.
    const hex = await cli(['inspect', '--quiet', '--hex', '-'], floods[0].frame.toString('hex'));
    assert.equal(hex.code, 1, hex.stderr);
    assert.ok(hex.stdout.toString().endsWith(floods[0].ends));
  });

  // Before, inspect held its whole input and listing (34 bytes of listing per input byte for zero-length
  // frames): 10 MB of them took 1.6 GB and 3 to 5 s, 30 MB exited 3 (longer than a string can be), 100 MB
  // crashed the wasm module. Now each frame is listed as it comes in, and stdout is drained before more
  // of stdin is read.
  it('10 MB of zero-length frames from a pipe: all 358 MB of listing, in under 200 MB of memory', async () => {
    const chunk = Buffer.alloc(1 << 16);
    const n = 160; // 10 MiB
    const frames = (n * chunk.length) / 4;
    let bytes = 0;
    let tail = Buffer.alloc(0);
    const started = Date.now();
    const r = await cliStreamed(['inspect'], (function* () {
      for (let i = 0; i < n; i++) yield chunk;
    })(), (d) => {
      bytes += d.length;
      tail = Buffer.concat([tail, d]).subarray(-200);
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `carbon-pickle: ${frames} frames, ${frames} refused, 0 datapoints carbon would store\n`);
    // Every frame: "frame N at byte 4(N-1): 0 payload bytes", the protocol line, the refusal.
    const lines = ['frame 1 at byte 0: 0 payload bytes', 'highest protocol among opcodes = 0', 'refused: truncated: the input ends too early at byte 0'];
    let want = frames * (lines.join('\n').length + 1);
    for (let k = 1; k <= frames; k++) want += String(k).length + String(4 * (k - 1)).length - 2;
    assert.equal(bytes, want);
    assert.ok(tail.toString().endsWith(`frame ${frames} at byte ${4 * (frames - 1)}: 0 payload bytes\n${lines[1]}\n${lines[2]}\n`));
    assert.ok(r.rss < 200 * 1024, `peak RSS ${r.rss} KB`);
    assert.ok(Date.now() - started < 60_000, `${Date.now() - started} ms`);
  });

  it('lists each frame as it comes in, before stdin ends', async () => {
    const py = cpythonFrames(POINTS);
    const bytes = Buffer.from(py.hex, 'hex');
    const cut = 4 + bytes.readUInt32BE(0);
    const p = spawn(process.execPath, [CLI, 'inspect', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    const closed = new Promise((resolve) => p.on('close', resolve));
    // The first frame and the second's header: the first frame's datapoints come out, stdin still open.
    p.stdin.write(bytes.subarray(0, cut + 4));
    const lastOfFirst = py.points[POINTS[0].length - 1];
    for (let waited = 0; !out.split('\n').includes(lastOfFirst); waited += 20) {
      assert.ok(waited < 10_000, `frame 1 not listed before stdin ended:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.doesNotMatch(out, /^frame 2 /m);
    p.stdin.end(bytes.subarray(cut + 4));
    assert.equal(await closed, 0);
    assertExplains({ stdout: Buffer.from(out) }, py);
  });

  it('bad hex, stray arguments and empty input', async () => {
    for (const [args, why] of [
      [['inspect', '--hex', '00 0g'], /--hex: not hex: "g"/],
      [['inspect', '--hex', '000'], /--hex: an odd number of hex digits \(3\)/],
      [['inspect', '00'], /unexpected argument 00/],
      [['encode', '--hex', '00'], /--hex is an option of inspect/],
    ]) {
      const r = await cli(args, '');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
    }
    const empty = await cli(['inspect'], '');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no frames to inspect/);
  });

  it('carbon-pickle/inspect: the inspector for programs, in its own module', async () => {
    const py = cpythonFrames([POINTS[1]]);
    const { inspect, parseHex } = await import('carbon-pickle/inspect');
    const r = inspect(parseHex(py.hex));
    assert.deepEqual({ frames: r.frames, refused: r.refused, points: r.points, skipped: r.skipped }, { frames: 1, refused: 0, points: 1, skipped: 0 });
    for (const l of [...py.dis, ...py.points]) assert.ok(r.text.split('\n').includes(l), l);
    // The main module stays without it.
    const main = await import('carbon-pickle');
    assert.throws(() => main.inspect(parseHex(py.hex)), /no frame inspector .*carbon-pickle\/inspect/);
  });

  it('carbon-pickle/inspect Inspector: a stream listed a stretch at a time, the text inspect gives', async () => {
    const { inspect, Inspector, parseHex } = await import('carbon-pickle/inspect');
    const py = cpythonFrames([...POINTS, 'GLOBAL']);
    const bytes = parseHex(py.hex);
    const whole = inspect(bytes);
    for (const step of [1, 5, 4096]) {
      const inspector = new Inspector();
      let text = '';
      for (let i = 0; i < bytes.length; i += step) for (const t of inspector.write(bytes.subarray(i, i + step))) text += t;
      for (const t of inspector.end()) text += t;
      assert.equal(text, whole.text, `chunks of ${step}`);
      const { frames, refused, points, skipped } = inspector;
      assert.deepEqual({ frames, refused, points, skipped }, { frames: 3, refused: 1, points: 4, skipped: 0 });
      assert.throws(() => inspector.write(bytes), { code: 'ERR_CARBON_FREED' }, 'ended: its memory is freed');
    }
    // Stretches of whole lines of about 64 KiB: 1 MiB of zero-length frames.
    const zeros = new Inspector({ inputLength: 1 << 20 });
    const stretches = [...zeros.write(new Uint8Array(1 << 20)), ...zeros.end()];
    assert.ok(stretches.length > 100);
    assert.ok(stretches.every((t) => t.endsWith('\n') && t.length < (1 << 16) + 100));
    assert.equal(zeros.frames, 1 << 18);
    assert.throws(() => new Inspector({ inputLenght: 3 }), { code: 'ERR_CARBON_OPTIONS', message: /did you mean "inputLength"/ });
    assert.throws(() => new Inspector({ inputLength: -1 }), { code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new Inspector().write('0000'), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
