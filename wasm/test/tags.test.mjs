// Graphite tags in the package: `{ path, tags }` datapoints in encodeFrames, FrameEncoder, MetricSet and
// CarbonClient (with `globalTags`), and tagged string paths, all written in carbon's canonical order by the
// core. First the frames themselves, decoded by CPython; then a real carbon with a real graphite-web 1.1.10
// beside it (one for the file): graphite-web's /tags/findSeries and /render?target=seriesByTag(...) must give
// back exactly the series and datapoints sent.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { decodeFrames, startCarbon, until } from './support/carbon.mjs';

const require = createRequire(import.meta.url);
const { encodeFrames, FrameEncoder, MetricSet } = require('../js/node.cjs');
const { CarbonClient } = require('../js/client.cjs');

const T0 = Math.floor(Date.now() / 1000) - 900;
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'carbon-pickle.cjs');

// Runs the CLI with `input` on stdin: { code, stdout (Buffer), stderr }.
function cli(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input);
  });
}

// The error `fn` throws, checked to be a `Class` with `code`.
function thrown(fn, Class, code) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Class, `expected a ${Class.name}, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${Class.name}, nothing was thrown`);
}

const paths = async (frames) => (await decodeFrames(frames)).flat().map((p) => p[0]);

describe('tags in the encoding API', () => {
  it('writes { path, tags } and tagged string paths in carbon canonical order', async () => {
    const points = [
      { path: 'disk.used', tags: { rack: 'a1', dc: 'dc1' }, value: 1, timestamp: T0 },
      { path: 'disk.used;rack=a1;dc=dc1', value: 2, timestamp: T0 },
      { path: 'disk.used;rack=a2', tags: { dc: 'dc1', rack: 'a1' }, value: 3, timestamp: T0 }, // the last rack wins
      { path: '~cpu', tags: { name: 'other', host: 'web01' }, value: 4, timestamp: T0 },
      { path: 'http{code="200",path="/api"}', value: 5, timestamp: T0 },
      { path: 'temp', tags: { city: 'Zürich', version: '1.2.3', n: 42 }, value: 6, timestamp: T0 },
      { path: 'plain.path', value: 7, timestamp: T0 },
      { path: 'http{code="200"}', tags: { method: 'GET' }, value: 8, timestamp: T0 }, // tags inside the braces
    ];
    const want = [
      'disk.used;dc=dc1;rack=a1',
      'disk.used;dc=dc1;rack=a1',
      'disk.used;dc=dc1;rack=a1',
      'cpu;host=web01',
      'http;code=200;path=/api',
      'temp;city=Zürich;n=42;version=1.2.3',
      'plain.path',
      'http;code=200;method=GET',
    ];
    assert.deepEqual(await paths(encodeFrames(points)), want);
    assert.deepEqual(await paths(encodeFrames(points, { protocol: 0 })), want);
    // With a prefix the name is `KEY.~cpu`: carbon's lstrip('~') has nothing to strip.
    assert.deepEqual(await paths(encodeFrames(points, { prefix: 'KEY' })), want.map((p) => (p.startsWith('cpu') ? `KEY.~${p}` : `KEY.${p}`)));
    const encoder = new FrameEncoder();
    for (const p of points) encoder.push(p);
    assert.deepEqual(await paths(encoder.flush()), want);
    encoder.free();
  });

  it('takes tags in columns: one object for every path, or one per path', async () => {
    const columns = { paths: ['a', 'b'], values: [1, 2], timestamps: T0 };
    assert.deepEqual(await paths(encodeFrames({ ...columns, tags: { z: '1', y: '2' } })), ['a;y=2;z=1', 'b;y=2;z=1']);
    assert.deepEqual(await paths(encodeFrames({ ...columns, tags: [{ k: 'v' }, undefined] })), ['a;k=v', 'b']);
    thrown(() => encodeFrames({ ...columns, tags: [{ k: 'v' }] }), RangeError, 'ERR_CARBON_INPUT');
    thrown(() => encodeFrames({ ...columns, tags: 'k=v' }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('registers { path, tags } in a MetricSet, tags fixed per path', async () => {
    const set = new MetricSet(['plain', { path: 'cpu', tags: { host: 'b', dc: 'x' } }]);
    assert.deepEqual(set.paths, ['plain', 'cpu;host=b;dc=x']);
    assert.deepEqual(await paths(set.encode([1, 2], T0)), ['plain', 'cpu;dc=x;host=b']);
    set.free();
  });

  it("refuses what carbon's tag rules refuse, naming the datapoint, the segment and why", () => {
    const cases = [
      [{ path: 'a', tags: { k: '~v' } }, /tag segment 1 at byte 2: value starts with '~'/],
      [{ path: 'a', tags: { k: '' } }, /tag segment 1 at byte 2: empty value/],
      [{ path: 'a', tags: { '': 'v' } }, /tag segment 1 at byte 2: empty tag/],
      [{ path: 'a', tags: { 'k!x': 'v' } }, /tag segment 1: character "!" is not allowed in a tag \(at byte 3\)/],
      [{ path: 'a', tags: { k: 'a b' } }, /character " " is not allowed in a value/],
      [{ path: 'a;k' }, /tag segment 1 at byte 2: no '='/],
      [{ path: 'a;=v' }, /empty tag/],
      [{ path: 'a..b', tags: { k: 'v' } }, /empty path component at byte 2/],
      [{ path: 'a{k="v"x"}' }, /OpenMetrics tag segment 1/],
    ];
    for (const [point, message] of cases) {
      const err = thrown(() => encodeFrames([{ value: 1, timestamp: T0 }, { ...point, value: 1, timestamp: T0 }].map((p, i) => (i === 0 ? { path: 'ok', ...p } : p))), TypeError, 'ERR_CARBON_INVALID_PATH');
      assert.match(err.message, message);
      assert.equal(err.index, 1);
      assert.equal(err.frames.length, 1, 'the datapoint before it is kept');
    }
    // A `;` or `=` in a tag, or a `;` in a value, would split differently: refused before the core sees it.
    for (const tags of [{ 'a;b': 'v' }, { 'a=b': 'v' }, { k: 'x;y=z' }]) {
      const err = thrown(() => encodeFrames([{ path: 'm', tags, value: 1, timestamp: T0 }]), TypeError, 'ERR_CARBON_INVALID_PATH');
      assert.equal(err.index, 0);
      assert.equal(err.path, 'm');
    }
    thrown(() => new FrameEncoder().push({ path: 'm', tags: { k: {} }, value: 1 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    thrown(() => new FrameEncoder().push({ path: 'm', tags: ['k=v'], value: 1 }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('the CLI writes tagged lines canonically and adds --tag to every line', async () => {
    const lines = `disk.used;rack=a1;dc=dc1 1 ${T0}\nplain 2 ${T0}\nbad;k 3 ${T0}\ncpu{host="a"} 4 ${T0}\nx;env=dev 5 ${T0}\n`;
    let r = await cli(['encode', '--quiet'], lines);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(await paths([r.stdout]), ['disk.used;dc=dc1;rack=a1', 'plain', 'cpu;host=a', 'x;env=dev']);
    assert.match(r.stderr, /^carbon-pickle: line 3: path "bad;k": invalid path: tag segment 1 at byte 4: no '='/);
    r = await cli(['encode', '--quiet', '--tag', 'env=prod', '--tag=z=1'], lines);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(await paths([r.stdout]), ['disk.used;dc=dc1;env=prod;rack=a1;z=1', 'plain;env=prod;z=1', 'cpu;env=prod;host=a;z=1', 'x;env=prod;z=1']);
    for (const bad of ['k', 'k=~v', 'k;j=v', '=v']) {
      r = await cli(['encode', '--tag', bad], lines);
      assert.equal(r.code, 2, `--tag ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /^carbon-pickle: --tag/);
      assert.equal(r.stdout.length, 0);
    }
  });

  it('checks globalTags when the client is made', () => {
    thrown(() => new CarbonClient({ globalTags: { k: '~v' } }), TypeError, 'ERR_CARBON_OPTIONS');
    thrown(() => new CarbonClient({ globalTags: 'env:prod' }), TypeError, 'ERR_CARBON_OPTIONS');
    const err = thrown(() => new CarbonClient({ globalTag: { k: 'v' } }), TypeError, 'ERR_CARBON_OPTIONS');
    assert.match(err.message, /did you mean "globalTags"/);
  });
});

describe('tagged series in a real graphite-web', () => {
  let carbon;
  before(async () => {
    carbon = await startCarbon({ graphite: true });
  });
  after(async () => {
    await carbon?.stop();
  });

  function sendFrames(frames) {
    return new Promise((resolve, reject) => {
      const s = net.connect(carbon.port, '127.0.0.1', () => {
        for (const f of frames) s.write(f);
        s.end(resolve);
      });
      s.on('error', reject);
    });
  }

  it('graphite-web finds every series and renders every datapoint sent, from every API', async () => {
    const suite = { suite: 'e2e-node' };
    const expected = new Map(); // canonical series -> [[ts, value], ...]
    const note = (series, ts, value) => {
      if (!expected.has(series)) expected.set(series, []);
      expected.get(series).push([ts, value]);
    };
    let ts = T0;
    // encodeFrames: rows with tags in any order, a tagged string, and protocol 0.
    const rows = [];
    for (let i = 0; i < 3; i++, ts++) {
      rows.push({ path: 'disk.used', tags: { rack: 'a1', dc: 'dc1', ...suite }, value: i, timestamp: ts });
      note('disk.used;dc=dc1;rack=a1;suite=e2e-node', ts, i);
    }
    for (let i = 0; i < 3; i++, ts++) {
      rows.push({ path: 'disk.used;suite=e2e-node;rack=a1;dc=dc1', value: 10 + i, timestamp: ts }); // the same series
      note('disk.used;dc=dc1;rack=a1;suite=e2e-node', ts, 10 + i);
    }
    await sendFrames(encodeFrames(rows));
    await sendFrames(encodeFrames([{ path: 'p0.series', tags: { b: 'ü', a: '1', ...suite }, value: 0.5, timestamp: ts }], { protocol: 0 }));
    note('p0.series;a=1;b=ü;suite=e2e-node', ts++, 0.5);
    // FrameEncoder and MetricSet.
    const encoder = new FrameEncoder();
    encoder.push({ path: 'http{code="200",path="/api/v1",suite="e2e-node"}', value: 7, timestamp: ts });
    note('http;code=200;path=/api/v1;suite=e2e-node', ts++, 7);
    await sendFrames(encoder.flush());
    encoder.free();
    const set = new MetricSet([{ path: 'temp', tags: { city: 'Zürich', version: '1.2.3', ...suite } }, { path: 'board.temp', tags: { board: 'mps2-an386', ...suite } }]);
    await sendFrames(set.encode([21.5, 40], ts));
    note('temp;city=Zürich;suite=e2e-node;version=1.2.3', ts, 21.5);
    note('board.temp;board=mps2-an386;suite=e2e-node', ts++, 40);
    set.free();
    // CarbonClient with globalTags; a datapoint's own tag wins over a global one.
    const client = new CarbonClient({ port: carbon.port, globalTags: { ...suite, env: 'prod' }, warnings: false });
    client.write({ path: 'client.requests', tags: { route: '/home' }, value: 3, timestamp: ts });
    note('client.requests;env=prod;route=/home;suite=e2e-node', ts++, 3);
    client.writeMany([{ path: 'client.requests', tags: { route: '/home', env: 'staging' }, value: 4, timestamp: ts }]);
    note('client.requests;env=staging;route=/home;suite=e2e-node', ts++, 4);
    client.writeMany({ paths: ['client.cols'], values: [5], timestamps: ts, tags: { k: 'v' } });
    note('client.cols;env=prod;k=v;suite=e2e-node', ts++, 5);
    await client.close();
    // The CLI: tagged lines, and --tag on every one.
    const sent = await cli(['send', '--to', `127.0.0.1:${carbon.port}`, '--quiet', '--tag', 'suite=e2e-node', '--tag', 'via=cli'], `cli.lines;b=2;a=1 6 ${ts}\ncli.lines{a="1",b="2"} 7 ${ts + 1}\n`);
    assert.equal(sent.code, 0, sent.stderr);
    note('cli.lines;a=1;b=2;suite=e2e-node;via=cli', ts++, 6);
    note('cli.lines;a=1;b=2;suite=e2e-node;via=cli', ts++, 7);

    const want = [...expected.keys()].sort();
    let found;
    await until(async () => {
      found = (await carbon.graphite('/tags/findSeries?expr=suite%3De2e-node')).sort();
      return JSON.stringify(found) === JSON.stringify(want);
    }, 60000, 'graphite-web to hold every series').catch(() => {});
    assert.deepEqual(found, want);

    for (const [series, points] of expected) {
      const [name, ...tags] = series.split(';');
      const target = `seriesByTag(${[`name=${name}`, ...tags].map((t) => `'${t}'`).join(',')})`;
      const url = `/render?target=${encodeURIComponent(target)}&format=json&from=${T0 - 1}&until=${ts + 1}`;
      let got;
      await until(async () => {
        got = (await carbon.graphite(url)).map((s) => [s.target, s.datapoints.filter((p) => p[0] !== null).map(([v, t]) => [t, v])]);
        return got.length === 1 && got[0][1].length === points.length;
      }, 60000, `graphite-web to render ${series}`).catch(() => {});
      assert.deepEqual(got, [[series, points]], target);
    }
  });
});
