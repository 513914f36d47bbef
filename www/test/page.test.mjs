// The demo page in real Chromium (Debian's, driven by playwright-core), served from loopback.
//
// What it checks against independent references:
// - the bytes the page shows for typed metrics equal the frames the Rust core writes for the same text
//   (core/examples/encode.rs), for both protocols, a prefix and splits by count and by bytes;
// - a bad line is marked inline with the reason (the core's text where the package passes it on) while
//   every other line still encodes, again byte for byte as the Rust example does;
// - the inspector's listing of a frame made by CPython's `pickle.dumps` contains every line
//   `pickletools.dis` prints for it, and the datapoints as Python's repr shows them;
// - tagged lines: name, tags and values coloured apart, and the name carbon stores (as carbon 1.1.10's own
//   TaggedSeries.parse writes it, prefix included) shown after each;
// - the live sensor stream runs, stops, and encodes like the Rust core;
// - the package as published (main module without protocol 0) refuses protocol 0 until enableProtocol0()
//   has fetched its own module, then writes the same bytes as in Node;
// - the page loads nothing from anywhere but the loopback server and logs no error.
// A screenshot is saved for the README (target/www/, and docs/ with WWW_SCREENSHOT).
//
// Environment: ENCODE_BIN (the built example; otherwise `cargo run` is used), CARBON_PICKLE_PYTHON (the
// venv python), CHROMIUM (default /usr/bin/chromium), WWW_PKG (the wasm module directory to serve),
// WWW_SCREENSHOT (a path to copy the README screenshot to).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DEFAULT_PKG, serve } from '../serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'target', 'www');
const PYTHON = process.env.CARBON_PICKLE_PYTHON || 'python3';

// ---- references ----

/** Frames from the Rust core's example for `text`; stderr's per-line reports too. */
function rustEncode(text, { protocol = 2, prefix, maxBytes, maxPoints } = {}) {
  const args = ['--protocol', String(protocol)];
  if (prefix !== undefined) args.push('--prefix', prefix);
  if (maxBytes !== undefined) args.push('--max-bytes', String(maxBytes));
  if (maxPoints !== undefined) args.push('--max-points', String(maxPoints));
  const [cmd, pre] = process.env.ENCODE_BIN
    ? [process.env.ENCODE_BIN, []]
    : ['cargo', ['run', '-q', '-p', 'carbon-pickle', '--features', 'std', '--example', 'encode', '--']];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: ROOT, input: text, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  assert.ok(r.status === 0 || r.status === 1, `encode example failed (${r.status}): ${r.stderr}`);
  const stderr = r.stderr.toString('utf8');
  const bad = new Map();
  for (const m of stderr.matchAll(/^line (\d+): (.*)$/gm)) bad.set(Number(m[1]), m[2]);
  const summary = /^encode: (\d+) datapoints in (\d+) frames/m.exec(stderr);
  return { bytes: r.stdout, frames: splitFrames(r.stdout), bad, points: Number(summary[1]), stderr };
}

function splitFrames(buf) {
  const frames = [];
  for (let at = 0; at + 4 <= buf.length; ) {
    const len = buf.readUInt32BE(at) + 4;
    frames.push(buf.subarray(at, at + len).toString('hex'));
    at += len;
  }
  return frames;
}

/** A frame made by CPython: pickle.dumps(points, protocol=2) behind a struct header, with pickletools' view. */
function cpythonFrame(points, protocol = 2) {
  const script = `
import io, json, pickle, pickletools, struct, sys
points = [(p, (t, v)) for p, t, v in json.loads(sys.argv[1])]
payload = pickle.dumps(points, protocol=int(sys.argv[2]))
frame = struct.pack('!L', len(payload)) + payload
out = io.StringIO()
pickletools.dis(payload, out)
print(json.dumps({
    'hex': frame.hex(),
    'literal': repr(frame),
    'dis': out.getvalue().splitlines(),
    'points': ['  %r %r %r' % (p, float(t), float(v)) for p, (t, v) in points],
}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(points), String(protocol)], { encoding: 'utf8' }));
}

// ---- the browser ----

let server;
const allowed = new Set(); // origins the browser may load from: the loopback servers this test started
let context;
let page;
let profile;
const offsite = [];
const problems = [];

before(async () => {
  server = await serve({ port: 0, pkg: process.env.WWW_PKG || DEFAULT_PKG });
  allowed.add(new URL(server.url).origin);
  profile = mkdtempSync(join(tmpdir(), 'carbon-pickle-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
    deviceScaleFactor: 1,
  });
  // Anything not for the loopback server is refused and remembered.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (allowed.has(url.origin) || url.protocol === 'data:') return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20_000 });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const settled = () => page.evaluate(() => window.carbonDemo.settled());

async function setInput(text) {
  await page.fill('#input', text);
  await settled();
}

async function setOptions({ protocol = 2, prefix = '', maxBytes = 1048576, maxPoints = 500 } = {}) {
  await page.selectOption('#protocol', String(protocol));
  await page.fill('#prefix', prefix);
  await page.fill('#maxBytes', String(maxBytes));
  await page.fill('#maxPoints', String(maxPoints));
  await settled();
}

/** The frames as the page draws them: the hex digits of each frame's dump, and its stated size. */
function pageFrames() {
  return page.evaluate(() =>
    [...document.querySelectorAll('#frames .frame')].map((f) => ({
      hex: [...f.querySelectorAll('.dump .hex')].map((h) => h.textContent.replace(/[^0-9a-f]/g, '')).join(''),
      size: Number(f.dataset.bytes),
    })),
  );
}

/** The inspector's listing lines under `root`. */
function listingLines(root) {
  return page.$$eval(`${root} .listing .ln`, (els) => els.map((e) => e.textContent));
}

/** Bad lines as the page marks them in the editor: line number -> message. */
async function pageBadLines() {
  const rows = await page.$$eval('#editor .backdrop .line.bad', (els) => els.map((e) => [Number(e.dataset.line), e.querySelector('.msg').textContent]));
  return new Map(rows);
}

// The page's frames against the Rust core's: all bytes through "Inspect these below" (which copies every frame
// as hex into the captured-frames box, one line each), and the drawn dumps (every byte up to the drawing cap).
async function expectSameAsRust(text, options, { minFrames = 1 } = {}) {
  const rust = rustEncode(text, options);
  assert.ok(rust.frames.length >= minFrames, `expected at least ${minFrames} frames, got ${rust.frames.length}`);
  const drawn = await pageFrames();
  assert.equal(drawn.length, Math.min(rust.frames.length, 12));
  drawn.forEach((f, k) => {
    assert.equal(f.size, rust.frames[k].length / 2, `frame ${k + 1}: stated size`);
    const shown = Math.min(f.size, 4 + 1024);
    assert.equal(f.hex, rust.frames[k].slice(0, 2 * shown), `frame ${k + 1}: drawn bytes differ from the Rust core's for ${JSON.stringify(options)}`);
  });
  await page.click('#toInspector');
  await settled();
  const copied = (await page.inputValue('#captured')).split('\n').map((l) => l.replace(/ /g, ''));
  assert.deepEqual(copied, rust.frames, `frames differ from the Rust core's for ${JSON.stringify(options)}`);
  const counts = await page.textContent('#counts');
  assert.match(counts, new RegExp(`\\b${rust.points} datapoints? encoded`));
  return rust;
}

// Metrics with the awkward cases: UTF-8, fractional and post-2038 timestamps, float syntax (`1e3`, `+2.5`, `.5`).
function metrics(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const host = ['kitchen', 'garage', 'cellar.température', 'büro'][i % 4];
    const ts = i % 7 === 3 ? 4_200_000_000 + i : i % 5 === 2 ? 1_700_000_000.25 + i : 1_700_000_000 + 10 * i;
    const value = [`${(20 + i / 3).toFixed(3)}`, `-${i}.5`, '1e3', '+2.5', '.5', `${i}`, '1.7976931348623157e308'][i % 7];
    lines.push(`sensors.${host}.s${i % 3} ${value} ${ts}`);
  }
  return lines.join('\n') + '\n';
}

describe('the demo page', () => {
  test('is served from loopback only, and not what is outside www/', async () => {
    for (const path of ['/serve.mjs', '/package.json', '/test/page.test.mjs', '/node_modules/playwright-core/package.json', '/..%2fCargo.toml', '/carbon-pickle/js/../../Cargo.toml']) {
      const r = await fetch(new URL(path, server.url));
      assert.equal(r.status, 404, path);
    }
    const wasm = await fetch(new URL('/carbon-pickle/pkg/web/carbon_pickle_bg.wasm', server.url));
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.match(new URL(server.url).hostname, /^127\.0\.0\.1$/);
  });

  test('frames equal the Rust core\'s for the same plaintext (protocol 2, defaults)', async () => {
    await setOptions({});
    const text = metrics(30);
    await setInput(text);
    await expectSameAsRust(text, { protocol: 2 });
  });

  test('frames equal the Rust core\'s: protocol 0, a prefix, split by datapoint count', async () => {
    await setOptions({ protocol: 0, prefix: 'API-KEY', maxPoints: 7 });
    const text = metrics(30);
    await setInput(text);
    await expectSameAsRust(text, { protocol: 0, prefix: 'API-KEY', maxPoints: 7 }, { minFrames: 5 });
    // The gutter puts each line in its frame, in order.
    const chips = await page.$$eval('#editor .gutter .chip', (els) => els.map((e) => e.textContent));
    assert.deepEqual(chips, Array.from({ length: 30 }, (_, i) => String(Math.floor(i / 7) + 1)));
  });

  test('frames equal the Rust core\'s: split by payload bytes, typed by keyboard', async () => {
    await setOptions({ protocol: 2, prefix: 'k3y', maxBytes: 300 });
    await setInput(metrics(24));
    // One more line typed key by key at the end.
    await page.focus('#input');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('sensors.typed.by.hand 42.125 1700000999\n');
    await settled();
    const text = await page.inputValue('#input');
    assert.ok(text.endsWith('sensors.typed.by.hand 42.125 1700000999\n'));
    await expectSameAsRust(text, { protocol: 2, prefix: 'k3y', maxBytes: 300 }, { minFrames: 4 });
    const closed = await page.$$eval('#frames .frame .closed', (els) => els.map((e) => e.textContent));
    assert.match(closed[0], /would take the payload past 300 bytes/);
    assert.match(closed.at(-1), /last frame/);
  });

  test('bad lines are marked inline with the reason, the rest still encodes', async () => {
    await setOptions({ protocol: 2, maxPoints: 4 });
    const text = [
      'sensors.kitchen.temp 21.5 1700000000',
      'sensors..temp 21.6 1700000010',
      'sensors.kitchen.temp 21.7 1700000020',
      'sensors.kitchen.hum NaN 1700000020',
      'just two',
      'sensors.kitchen.hum abc 1700000030',
      '',
      'sensors.kitchen.hum 40 -5',
      'sensors.kitchen.hum 41 1700000040',
      'sensors.kitchen.temp/x 1 1700000050',
      'sensors.kitchen.hum 42 1700000050',
      'sensors.kitchen.temp 21.9 1700000060',
    ].join('\n');
    await setInput(text);
    const rust = await expectSameAsRust(text, { protocol: 2, maxPoints: 4 }, { minFrames: 2 });
    const marked = await pageBadLines();
    assert.deepEqual([...marked.keys()].sort((a, b) => a - b), [...rust.bad.keys()].sort((a, b) => a - b), 'the same lines are bad');
    assert.deepEqual([...marked.keys()], [2, 4, 5, 6, 8, 10]);
    // The page reads lines with the core's reader, as the example does: the same words for every line.
    for (const line of marked.keys()) assert.equal(marked.get(line), rust.bad.get(line), `line ${line}`);
    assert.equal(marked.get(2), 'path "sensors..temp": invalid path: empty path component at byte 8');
    assert.equal(marked.get(4), 'value "NaN" is NaN (carbon skips NaN values)');
    assert.equal(marked.get(5), 'value "two" is not a number'); // two fields: the second is the value
    assert.equal(marked.get(8), 'timestamp "-5" is outside 0..2^32 seconds');
    assert.match(marked.get(10), /^path "sensors\.kitchen\.temp\/x": invalid path: invalid character '\/' at byte 20$/);
    // Listed under the editor too, and counted.
    assert.equal(await page.locator('#problems li').count(), 6);
    assert.match(await page.textContent('#counts'), /6 lines not encoded/);
    // Marked lines sit exactly under their text in the textarea (same line height, same top).
    const box = await page.evaluate(() => {
      const ta = document.querySelector('#input');
      const row = document.querySelector('#editor .backdrop [data-line="2"]');
      return { lh: parseFloat(getComputedStyle(ta).lineHeight), rowTop: row.offsetTop, rowH: row.offsetHeight, pad: parseFloat(getComputedStyle(ta).paddingTop) };
    });
    assert.equal(box.rowH, box.lh);
    assert.equal(box.rowTop, box.pad + box.lh);
  });

  test('tagged lines: name, tags and values coloured apart, and the name carbon stores shown', async () => {
    const text = [
      'disk.used;rack=a1;dc=dc1 42 1700000000',
      'cpu.load{host="web01",dc="dc1"} 0.5 1700000000',
      '~net.rx;if=eth0;name=ignored;if=eth1 7 1700000000',
      'disk.used;dc=dc1;k= 1 1700000000',
      'sensors.plain 3 1700000000',
    ].join('\n');
    for (const prefix of ['', 'k3y']) {
      await setOptions({ protocol: 2, prefix });
      await setInput(text);
      // The bytes are the Rust core's (tags in carbon's order there too), the bad tagged line refused with its words.
      const rust = await expectSameAsRust(text, { protocol: 2, prefix: prefix || undefined });
      const marked = await pageBadLines();
      assert.deepEqual([...marked.keys()], [4]);
      assert.equal(marked.get(4), rust.bad.get(4));
      assert.match(marked.get(4), /empty value/);
      const rows = await page.$$eval('#editor .backdrop .line', (els) =>
        els.map((e) => {
          const texts = (sel) => [...e.querySelectorAll(sel)].map((x) => x.textContent);
          return {
            line: Number(e.dataset.line),
            name: texts('.path .p-name'),
            tags: texts('.path .p-tag'),
            values: texts('.path .p-value'),
            stored: e.querySelector('.stored')?.textContent ?? null,
            storedName: texts('.stored .p-name'),
          };
        }),
      );
      // The stored names against carbon 1.1.10's own TaggedSeries.parse (prefix in front, as carbon sees it).
      const given = ['disk.used;rack=a1;dc=dc1', 'cpu.load{host="web01",dc="dc1"}', '~net.rx;if=eth0;name=ignored;if=eth1'];
      const carbon = JSON.parse(
        execFileSync(PYTHON, ['-c', 'import json, sys\nfrom carbon.util import TaggedSeries\nprint(json.dumps([TaggedSeries.parse(p).path for p in json.loads(sys.argv[1])]))',
          JSON.stringify(given.map((p) => (prefix ? `${prefix}.${p}` : p)))], { encoding: 'utf8' }),
      );
      const pre = prefix ? `${prefix}.` : '';
      // carbon strips a leading `~` from the whole path: behind a prefix the name keeps its `~`.
      const net = prefix ? `${pre}~net.rx;if=eth1` : 'net.rx;if=eth1';
      assert.deepEqual(carbon, [`${pre}disk.used;dc=dc1;rack=a1`, `${pre}cpu.load;dc=dc1;host=web01`, net]);
      assert.deepEqual(rows.map((r) => r.stored), [...carbon, null, null]);
      assert.deepEqual(rows[0].storedName, [`${pre}disk.used`]);
      assert.deepEqual(rows.slice(0, 3).map((r) => [r.name, r.tags, r.values]), [
        [['disk.used'], ['rack', 'dc'], ['a1', 'dc1']],
        [['cpu.load'], ['host', 'dc'], ['web01', 'dc1']],
        [['~net.rx'], ['if', 'name', 'if'], ['eth0', 'ignored', 'eth1']],
      ]);
      // A plain line is drawn as before: no colours, no stored name.
      assert.deepEqual(rows[4], { line: 5, name: [], tags: [], values: [], stored: null, storedName: [] });
    }
    // Three colours, none of them transparent, behind the line's text and in the stored name.
    const colours = await page.evaluate(() => {
      const bg = (sel) => getComputedStyle(document.querySelector(`#editor .backdrop [data-line="1"] ${sel}`)).backgroundColor;
      const ink = (sel) => getComputedStyle(document.querySelector(`#editor .backdrop [data-line="1"] .stored ${sel}`)).color;
      return { bg: ['.path .p-name', '.path .p-tag', '.path .p-value'].map(bg), ink: ['.p-name', '.p-tag', '.p-value'].map(ink) };
    });
    for (const set of [colours.bg, colours.ink]) {
      assert.equal(new Set(set).size, 3, JSON.stringify(colours));
      assert.ok(set.every((c) => c !== 'rgba(0, 0, 0, 0)'), JSON.stringify(colours));
    }
    await setOptions();
  });

  test('options the core refuses are reported, and nothing is encoded', async () => {
    await setInput('a.b 1 1700000000\n');
    for (const [options, why] of [
      [{ maxBytes: 5 }, /maxBytes must hold an empty frame/],
      [{ prefix: 'has space' }, /invalid prefix: invalid character " " at byte 3/],
      [{ maxPoints: 0 }, /maxPoints must be an integer from 1/],
    ]) {
      await setOptions(options);
      assert.equal(await page.isVisible('#optionsError'), true);
      assert.match(await page.textContent('#optionsError'), why);
      assert.equal(await page.locator('#frames .frame').count(), 0);
    }
    await setOptions({});
    assert.equal(await page.isVisible('#optionsError'), false);
    assert.equal(await page.locator('#frames .frame').count(), 1);
  });

  test('the inspector explains a frame made by CPython as pickletools does', async () => {
    const points = [
      ['sensors.kitchen.temperature', 1700000000, 21.5],
      ['sensors.cellar.température', 1700000060, -3.25],
      ['sensors.kitchen.temperature', 1700000120, 22],
      ['servers.web01.load', 1700000180.5, 1e-7],
    ];
    const py = cpythonFrame(points);
    await page.fill('#captured', py.hex.replace(/(..)(?!$)/g, '$1 '));
    await settled();
    const summary = await page.textContent('#capturedSummary');
    assert.match(summary, /1 frame\b/);
    assert.match(summary, /4 datapoints carbon would store/);
    assert.match(summary, /accepted/);
    const lines = await listingLines('#inspected');
    for (const l of py.dis) assert.ok(lines.includes(l), `pickletools line missing from the inspector: ${JSON.stringify(l)}\n${lines.join('\n')}`);
    for (const l of py.points) assert.ok(lines.includes(l), `datapoint line missing: ${JSON.stringify(l)}`);
    // CPython memoizes: the dump colours those opcodes, and draws every byte.
    const dump = await page.evaluate(() => ({
      hex: [...document.querySelectorAll('#inspected .dump .hex')].map((h) => h.textContent.replace(/[^0-9a-f]/g, '')).join(''),
      memo: document.querySelectorAll('#inspected .dump .r-memo').length,
      ann: document.querySelector('#inspected .dump').textContent,
    }));
    assert.equal(dump.hex, py.hex);
    assert.ok(dump.memo > 0);
    assert.match(dump.ann, /BINPUT/);

    // Hovering an opcode's bytes lights up its listing line.
    const op = await page.getAttribute('#inspected .dump .r-path[data-op]', 'data-op');
    await page.hover(`#inspected .dump .r-path[data-op="${op}"]`);
    assert.match(await page.getAttribute(`#inspected .listing .ln[data-op="${op}"]`, 'class'), /\bhl\b/);
    assert.match(await page.textContent(`#inspected .listing .ln[data-op="${op}"]`), /BINUNICODE 'sensors\.kitchen\.temperature'/);

    // The same frame pasted as Python prints it.
    await page.fill('#captured', py.literal);
    await settled();
    assert.deepEqual(await listingLines('#inspected'), lines);
  });

  test('the inspector shows why carbon would refuse a frame', async () => {
    const py = cpythonFrame([['a.b', 1700000000, 1]], 4);
    const bytes = Buffer.from(py.hex, 'hex');
    // Cut short: the header promises more than there is.
    await page.fill('#captured', bytes.subarray(0, bytes.length - 3).toString('hex'));
    await settled();
    assert.match(await page.textContent('#capturedSummary'), /1 frame refused/);
    assert.match(await page.textContent('#inspected'), /truncated: header declares \d+ payload bytes, \d+ present/);
    // Not even a whole header.
    await page.fill('#captured', '00 01');
    await settled();
    assert.match(await page.textContent('#capturedSummary'), /1 frame refused/);
    assert.match(await page.textContent('#inspected .dump'), /header cut short: 2 of 4 bytes/);
    // Not hex at all.
    await page.fill('#captured', 'zz 00');
    await settled();
    assert.match(await page.textContent('#capturedSummary'), /not hex/);
  });

  // Frames made to blow the inspector's listing up: before, 1 MiB of MARK gave 287 MB of text (each line
  // indented once more) and froze the page. Now the listing stops at the opcode the decoder refuses, and no
  // listing passes 50 bytes per input byte.
  test('floods keep the page responsive: the listing stops at the refusal, under 50 bytes per frame byte', async (t) => {
    const MiB = 1 << 20;
    const framed = (payloadHex) => (payloadHex.length / 2).toString(16).padStart(8, '0') + payloadHex;
    const floods = [
      {
        name: 'MARK flood',
        hex: framed('28'.repeat(MiB)),
        summary: /1 frame refused/,
        lines: ['1048511 byte(s) after the refusal not listed', 'refused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)'],
      },
      {
        name: 'memo flood',
        hex: framed(`80045d${'94'.repeat(MiB - 4)}2e`),
        summary: /1 frame refused/,
        lines: ['1046013 byte(s) after the refusal not listed', 'refused: frame needs more than the 2560 workspace slots given (2560 memo + 1 stack) at byte 2562 (opcode 0x94 MEMOIZE)'],
      },
      {
        // Accepted (the element is skipped) and listed in full, as pickletools does: 100,020 lines, 300 drawn.
        name: '100,000 nested tuples',
        hex: framed(`80025d285803000000612e624b014b028686${'85'.repeat(100_000)}652e`),
        summary: /1 element it would skip/,
        lines: ['   18: \\x85     TUPLE1', '   19: \\x85     TUPLE1'],
      },
    ];
    for (const f of floods) {
      await page.fill('#captured', f.hex);
      await settled();
      const stats = await page.evaluate(() => window.carbonDemo.captured);
      assert.equal(stats.bytes, f.hex.length / 2, f.name);
      assert.ok(stats.listing <= 50 * stats.bytes, `${f.name}: ${stats.listing} characters of listing for ${stats.bytes} bytes`);
      assert.ok(stats.ms < 5000, `${f.name}: the page took ${Math.round(stats.ms)} ms to draw it`);
      t.diagnostic(`${f.name}: ${stats.bytes} bytes, ${stats.listing} characters of listing, drawn in ${Math.round(stats.ms)} ms`);
      // And it answers right after: a timer set now fires at once.
      const lag = await page.evaluate(() => new Promise((ok) => { const t = performance.now(); setTimeout(() => ok(performance.now() - t), 0); }));
      assert.ok(lag < 250, `${f.name}: ${Math.round(lag)} ms for a timer`);
      assert.match(await page.textContent('#capturedSummary'), f.summary, f.name);
      const lines = await listingLines('#inspected');
      assert.ok(lines.length <= 300 + 1 + 3, `${f.name}: ${lines.length} lines drawn`);
      for (const l of f.lines) assert.ok(lines.includes(l), `${f.name}: missing ${JSON.stringify(l)}\n${lines.slice(-4).join('\n')}`);
    }
    // The MARK flood's dump colours the 65 opcodes listed, and no byte after them.
    await page.fill('#captured', floods[0].hex);
    await settled();
    assert.equal(await page.locator('#inspected .dump [data-op]').count(), 65);
  });

  test('the live sensor stream runs, stops, and encodes like the core', async () => {
    await setOptions({ protocol: 2, maxPoints: 10 });
    await page.click('#live');
    assert.equal(await page.getAttribute('#live', 'aria-pressed'), 'true');
    await page.waitForFunction(() => document.querySelector('#input').value.split('\n').filter(Boolean).length >= 24, null, { timeout: 10_000 });
    await page.click('#live');
    assert.equal(await page.getAttribute('#live', 'aria-pressed'), 'false');
    assert.equal(await page.evaluate(() => window.carbonDemo.live), false);
    await settled();
    // The stream scrolled to its end: the marks still sit on their lines, in the backdrop and the gutter.
    const pos = await page.evaluate(() => {
      const ta = document.querySelector('#input');
      const n = ta.value.split('\n').filter(Boolean).length;
      const cs = getComputedStyle(ta);
      const expect = ta.getBoundingClientRect().top + parseFloat(cs.paddingTop) + (n - 1) * parseFloat(cs.lineHeight) - ta.scrollTop;
      const row = document.querySelector(`#editor .backdrop [data-line="${n}"]`).getBoundingClientRect().top;
      const g = [...document.querySelectorAll('#editor .g')].find((e) => e.firstChild.textContent === String(n));
      const box = g.getBoundingClientRect();
      // Visible, not just placed: the point in the middle of that gutter row hits it.
      const seen = document.elementFromPoint(box.left + 4, box.top + box.height / 2)?.closest('.g') === g;
      return { scrolled: ta.scrollTop, expect, row, gutter: box.top, seen };
    });
    assert.ok(pos.scrolled > 0, 'the editor scrolled with the stream');
    assert.ok(pos.seen, 'the gutter shows the last line');
    assert.ok(Math.abs(pos.row - pos.expect) < 1 && Math.abs(pos.gutter - pos.expect) < 1, JSON.stringify(pos));
    const text = await page.inputValue('#input');
    const lines = text.split('\n').filter(Boolean);
    assert.ok(lines.every((l) => /^sensors\.\w+\.\w+ -?\d+(\.\d+)? \d{10}$/.test(l)), text);
    await expectSameAsRust(text, { protocol: 2, maxPoints: 10 }, { minFrames: 2 });
    assert.ok((await page.locator('#chart .spark').count()) >= 4);
    // Stopped means stopped.
    await page.waitForTimeout(1000);
    assert.equal(await page.inputValue('#input'), text);
  });

  test('screenshot for the README', async () => {
    await page.click('#sample');
    await page.click('#small');
    await settled();
    const text = await page.inputValue('#input');
    await expectSameAsRust(text, { protocol: 2, maxPoints: 4, maxBytes: 256 }, { minFrames: 3 });
    const py = cpythonFrame([
      ['sensors.kitchen.temperature', 1700000000, 21.5],
      ['sensors.kitchen.humidity', 1700000000, 48.2],
    ]);
    await page.fill('#captured', py.hex.replace(/(..)(?!$)/g, '$1 '));
    await settled();
    await page.mouse.move(0, 0);
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    mkdirSync(OUT, { recursive: true });
    const shot = join(OUT, 'www-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1440, height: 1400 } });
    await page.screenshot({ path: join(OUT, 'www-full.png'), fullPage: true });
    if (process.env.WWW_SCREENSHOT) copyFileSync(shot, process.env.WWW_SCREENSHOT);
  });

  test('the published build: protocol 0 is refused until enableProtocol0() fetches its module, then encodes as in Node', async () => {
    const published = await serve({ port: 0, pkg: join(ROOT, 'wasm', 'pkg', 'web') });
    allowed.add(new URL(published.url).origin);
    const tab = await context.newPage();
    try {
      tab.on('pageerror', (e) => problems.push(`published page error: ${e.message}`));
      await tab.goto(published.url);
      await tab.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20_000 });
      const got = await tab.evaluate(async () => {
        const cp = await import('/carbon-pickle/js/web.mjs');
        const fetched = () => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/pkg/full-web/carbon_pickle_bg.wasm'));
        const before = fetched();
        let refused = null;
        try {
          cp.encodeFrames([{ path: 'a.b', value: 1.5, timestamp: 1700000000 }], { protocol: 0 });
        } catch (e) {
          refused = e.code;
        }
        await cp.enableProtocol0();
        const frames = cp.encodeFrames([{ path: 'a.b', value: 1.5, timestamp: 1700000000 }, { path: 'küche.t', value: -2, timestamp: 1700000001.5 }], { protocol: 0 });
        return { before, refused, after: fetched(), hex: frames.map((f) => Array.from(f, (b) => b.toString(16).padStart(2, '0')).join('')) };
      });
      const node = createRequire(import.meta.url)('../../wasm/js/node.cjs');
      const want = node.encodeFrames([{ path: 'a.b', value: 1.5, timestamp: 1700000000 }, { path: 'küche.t', value: -2, timestamp: 1700000001.5 }], { protocol: 0 });
      assert.deepEqual(got, { before: false, refused: 'ERR_CARBON_PROTOCOL', after: true, hex: want.map((f) => Buffer.from(f).toString('hex')) });
    } finally {
      await tab.close();
      await published.close();
    }
  });

  test('nothing was fetched from elsewhere and nothing went wrong', () => {
    assert.deepEqual(offsite, []);
    assert.deepEqual(problems, []);
  });
});
