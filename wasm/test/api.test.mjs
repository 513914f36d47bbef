// The package's encoding API: every form of input, decoded by CPython (pickle.loads and carbon's own
// unpickler), must give back exactly the datapoints given; refusals are typed, name the datapoint, and lose
// nothing already encoded.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

import { decodeFrames } from './support/carbon.mjs';

const require = createRequire(import.meta.url);
const { encodeFrames, FrameEncoder, MetricSet, splitFrames, CARBON_MAX_POINTS } = require('../js/node.cjs');
const wasmMemory = require('../js/load.cjs').instances.get('web').memory; // the module js/node.cjs uses

const T0 = 1_700_000_000;

// Varied datapoints: UTF-8 paths, fractional and past-2038 timestamps, negative and tiny values.
function sample(n) {
  const paths = ['servers.web01.cpu.user', 'sensors.küche.temp', 'a.b', 'x', 'tags;host=web01', 'emoji.🚀.count', "quote.o'brien"];
  return Array.from({ length: n }, (_, i) => ({
    path: `${paths[i % paths.length]}.${i % 13}`,
    value: [i, -i / 7, 1e-300 * i, 2 ** 53 + i, 0.1 * i][i % 5],
    timestamp: [T0 + i, T0 + i + 0.25, 3_000_000_000 + i, i][i % 4],
  }));
}

const rows = (decoded) => decoded.flat();

// The error `fn` throws, checked to be a `Class`.
function thrown(fn, Class) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Class, `expected a ${Class.name}, got ${err}`);
    return err;
  }
  assert.fail(`expected a ${Class.name}, nothing was thrown`);
}
const expected = (points, prefix) => points.map((p) => [prefix ? `${prefix}.${p.path}` : p.path, p.timestamp, p.value]);

describe('encodeFrames', () => {
  it('writes the bytes the core documents', () => {
    const [frame] = encodeFrames([{ path: 'a.b', value: 1.5, timestamp: 1_700_000_000 }]);
    assert.equal(
      Buffer.from(frame).toString('hex'),
      Buffer.from('\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e.', 'latin1').toString('hex'),
    );
    assert.equal(frame.points, 1);
  });

  for (const protocol of [2, 0]) {
    it(`round-trips rows through CPython (protocol ${protocol})`, async () => {
      const points = sample(1234);
      const frames = encodeFrames(points, { protocol });
      assert.deepEqual(frames.map((f) => f.points), [500, 500, 234]);
      const decoded = await decodeFrames(frames);
      assert.deepEqual(decoded.map((f) => f.length), [500, 500, 234]);
      assert.deepEqual(rows(decoded), expected(points));
    });
  }

  it('round-trips columns: Float64Array values, Uint32Array timestamps, a prefix', async () => {
    const points = sample(700).map((p, i) => ({ ...p, timestamp: T0 + i }));
    const frames = encodeFrames(
      {
        paths: points.map((p) => p.path),
        values: Float64Array.from(points, (p) => p.value),
        timestamps: Uint32Array.from(points, (p) => p.timestamp),
      },
      { prefix: 'KEY-123' },
    );
    assert.deepEqual(rows(await decodeFrames(frames)), expected(points, 'KEY-123'));
  });

  it('takes one timestamp (number or Date) for all columns, and plain arrays', async () => {
    const paths = ['a.x', 'a.y', 'a.z'];
    const byNumber = encodeFrames({ paths, values: [1, 2, 3], timestamps: T0 });
    const byDate = encodeFrames({ paths, values: [1, 2, 3], timestamps: new Date(T0 * 1000) });
    const want = paths.map((p, i) => [p, T0, i + 1]);
    assert.deepEqual(rows(await decodeFrames(byNumber)), want);
    assert.deepEqual(rows(await decodeFrames(byDate)), want);
  });

  it('stamps rows without a timestamp with the current second', async () => {
    const before = Math.floor(Date.now() / 1000);
    const [[[, ts]]] = await decodeFrames(encodeFrames([{ path: 'now.x', value: 1 }]));
    assert.ok(ts >= before && ts <= before + 2, `timestamp ${ts} is not now`);
  });

  it('splits by maxBytes and maxPoints, every payload within the limit', async () => {
    const points = sample(400);
    const frames = encodeFrames(points, { maxBytes: 1000, maxPoints: 30 });
    assert.ok(frames.length > 400 / 30, `${frames.length} frames`);
    for (const f of frames) {
      assert.ok(f.length - 4 <= 1000);
      assert.ok(f.points <= 30 && f.points > 0);
    }
    assert.deepEqual(rows(await decodeFrames(frames, { maxBytes: 1000 })), expected(points));
    assert.equal(frames.reduce((n, f) => n + f.points, 0), 400);
  });

  it('returns no frames for no datapoints', () => {
    assert.deepEqual(encodeFrames([]), []);
    assert.deepEqual(encodeFrames({ paths: [], values: [] }), []);
  });

  it('splitFrames cuts frames written back to back', () => {
    const frames = encodeFrames(sample(1100));
    const joined = Buffer.concat(frames);
    assert.deepEqual(splitFrames(new Uint8Array(joined)).map((f) => f.length), frames.map((f) => f.length));
  });

  it('encodes a million datapoints into 2,000 frames of 500', () => {
    const n = 1_000_000;
    const paths = Array.from({ length: 1000 }, (_, i) => `servers.host${i}.load`);
    const frames = encodeFrames({ paths: Array.from({ length: n }, (_, i) => paths[i % 1000]), values: new Float64Array(n).fill(1), timestamps: T0 });
    assert.equal(frames.length, n / CARBON_MAX_POINTS);
    assert.ok(frames.every((f) => f.points === 500));
  });

  it('cuts a large call exactly as one batch would, with the module holding one segment at a time', () => {
    // 200,003 varied rows (more than three segments of 65,536): the frames equal a stream of small pushes.
    const points = sample(200_003);
    const frames = encodeFrames(points, { maxBytes: 20_000 });
    const enc = new FrameEncoder({ maxBytes: 20_000 });
    const want = [];
    for (let i = 0; i < points.length; i += 997) want.push(...enc.pushMany(points.slice(i, i + 997)));
    want.push(...enc.flush());
    assert.equal(frames.length, want.length);
    frames.forEach((f, i) => {
      assert.deepEqual(f, want[i], `frame ${i}`);
      assert.equal(f.points, want[i].points);
    });
    assert.equal(frames.reduce((n, f) => n + f.points, 0), points.length);
    // A million datapoints in one call: the module's memory stays below the frames' own size (it held
    // every column and frame of the call at once, 236 MB, before calls were cut into segments).
    const n = 1_000_000;
    const big = encodeFrames({ paths: Array.from({ length: n }, (_, i) => `servers.host${i % 1000}.cpu.core${i % 8}.user`), values: new Float64Array(n).fill(0.5), timestamps: T0 });
    const bytes = big.reduce((sum, f) => sum + f.length, 0);
    assert.ok(wasmMemory.buffer.byteLength <= 2 * bytes, `module memory ${wasmMemory.buffer.byteLength} B for ${bytes} B of frames`);
  });
});

describe('refusals', () => {
  it('in a large call, names the datapoint by its index in the call and keeps every frame before it', async () => {
    const n = 150_000;
    for (const at of [65_535, 65_536, 140_001]) {
      const points = Array.from({ length: n }, (_, i) => ({ path: `m.${i % 50}`, value: i, timestamp: T0 + i }));
      points[at] = { path: 'm..x', value: 1, timestamp: T0 };
      const err = thrown(() => encodeFrames(points), TypeError);
      assert.equal(err.index, at);
      assert.match(err.message, new RegExp(`^datapoint ${at} \\(path "m\\.\\.x"\\)`));
      assert.equal(err.frames.reduce((k, f) => k + f.points, 0), at);
      const columns = { paths: points.map((p) => p.path), values: points.map((p) => p.value), timestamps: Float64Array.from(points, (p) => p.timestamp) };
      columns.paths[at] = 'm.ok';
      columns.values[at] = 'x';
      const typed = thrown(() => encodeFrames(columns), TypeError);
      assert.equal(typed.message, `values[${at}] must be a number, not "x"`);
      columns.values[at] = 1;
      columns.timestamps[at] = -3;
      const late = thrown(() => encodeFrames(columns), RangeError);
      assert.equal(late.index, at);
      assert.match(late.message, new RegExp(`^datapoint ${at} \\(path "m\\.ok"\\): timestamp -3 is not a time`));
      assert.deepEqual(rows(await decodeFrames(late.frames)).length, at);
    }
  });

  it('names a bad timestamp of columns by its value', () => {
    const err = thrown(() => encodeFrames({ paths: ['a.b', 'c.d'], values: [1, 2], timestamps: [T0, -5] }), RangeError);
    assert.equal(err.message, 'datapoint 1 (path "c.d"): timestamp -5 is not a time in 0..2^32 seconds');
    const set = new MetricSet(['a.b', 'c.d']);
    const err2 = thrown(() => set.encode([1, 2], [T0, 2 ** 32]), RangeError);
    assert.equal(err2.message, 'datapoint 1 (path "c.d"): timestamp 4294967296 is not a time in 0..2^32 seconds');
  });

  it('names the datapoint and its path, and keeps the frames before it', async () => {
    const points = sample(800);
    points[700] = { path: 'servers..cpu', value: 1, timestamp: T0 };
    const err = thrown(() => encodeFrames(points), TypeError);
    assert.equal(err.code, 'ERR_CARBON_INVALID_PATH');
    assert.equal(err.index, 700);
    assert.equal(err.path, 'servers..cpu');
    assert.match(err.message, /^datapoint 700 \(path "servers\.\.cpu"\): invalid path: empty path component at byte 8$/);
    assert.deepEqual(err.frames.map((f) => f.points), [500, 200]);
    assert.deepEqual(rows(await decodeFrames(err.frames)), expected(points.slice(0, 700)));
  });

  const cases = [
    ['a NaN value', { path: 'a.b', value: NaN, timestamp: T0 }, RangeError, 'ERR_CARBON_VALUE', /value NaN is not a finite number/],
    ['an infinite value', { path: 'a.b', value: -Infinity, timestamp: T0 }, RangeError, 'ERR_CARBON_VALUE', /value -Infinity/],
    ['a negative timestamp', { path: 'a.b', value: 1, timestamp: -5 }, RangeError, 'ERR_CARBON_TIMESTAMP', /timestamp -5 is not a time in 0..2\^32/],
    ['a timestamp past 2^32', { path: 'a.b', value: 1, timestamp: 2 ** 32 }, RangeError, 'ERR_CARBON_TIMESTAMP', /timestamp 4294967296/],
    ['a NaN timestamp', { path: 'a.b', value: 1, timestamp: NaN }, RangeError, 'ERR_CARBON_TIMESTAMP', /timestamp NaN/],
    ['a space', { path: 'a b', value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /invalid character " " at byte 1/],
    ['a slash', { path: 'a/b', value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /invalid character "\/" at byte 1/],
    ['a NUL', { path: 'a\0b', value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /invalid character "\\u0000" at byte 1/],
    ['an empty path', { path: '', value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /path is empty/],
    ['a 300-byte component', { path: `a.${'x'.repeat(300)}`, value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /component at byte 2 is 300 bytes long \(at most 251\)/],
    ['a lone surrogate', { path: 'a.\ud800', value: 1, timestamp: T0 }, TypeError, 'ERR_CARBON_INVALID_PATH', /lone UTF-16 surrogate/],
    ['a path that is not a string', { path: 42, value: 1, timestamp: T0 }, TypeError, 'ERR_INVALID_ARG_TYPE', /datapoint 1: path must be a string/],
    ['a value that is not a number', { path: 'a.b', value: '1', timestamp: T0 }, TypeError, 'ERR_INVALID_ARG_TYPE', /datapoint 1 \(path "a.b"\): value must be a number/],
  ];
  for (const [what, bad, Class, code, message] of cases) {
    it(`refuses ${what}`, () => {
      const err = thrown(() => encodeFrames([{ path: 'ok', value: 1, timestamp: T0 }, bad]), Class);
      assert.match(err.message, message);
      if (code) {
        assert.equal(err.code, code);
        assert.equal(err.index, 1);
        assert.equal(err.frames.length, 1);
        assert.equal(err.frames[0].points, 1);
      }
    });
  }

  it('refuses non-ASCII under asciiOnly and spaces unless allowed', async () => {
    assert.throws(() => encodeFrames([{ path: 'küche', value: 1, timestamp: T0 }], { asciiOnly: true }), /non-ASCII character at byte 1/);
    const frames = encodeFrames([{ path: 'my metric', value: 1, timestamp: T0 }], { allowSpaces: true });
    assert.deepEqual(rows(await decodeFrames(frames)), [['my metric', T0, 1]]);
  });

  it('refuses a datapoint larger than any frame', () => {
    const err = thrown(() => encodeFrames([{ path: 'x'.repeat(200), value: 1, timestamp: T0 }], { maxBytes: 100 }), RangeError);
    assert.equal(err.code, 'ERR_CARBON_TOO_LARGE');
    assert.match(err.message, /^datapoint 0 \(path "x+"\): needs 221 bytes but a frame has room for at most 94$/);
  });

  it('refuses bad options', () => {
    assert.throws(() => encodeFrames([], { protocol: 1 }), { name: 'RangeError', code: 'ERR_CARBON_OPTIONS', message: /protocol must be the number 0 or 2, not 1/ });
    assert.throws(() => encodeFrames([], { maxPoints: 0 }), { name: 'RangeError', message: /maxPoints/ });
    assert.throws(() => encodeFrames([], { maxBytes: 2 ** 32 }), { name: 'RangeError', message: /maxBytes/ });
    assert.throws(() => encodeFrames([], { maxBytes: 3 }), { name: 'RangeError', code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => encodeFrames([], { prefix: 'key.' }), { name: 'TypeError', code: 'ERR_CARBON_INVALID_PREFIX', message: 'invalid prefix: empty path component at byte 4' });
    assert.throws(() => encodeFrames([], { prefix: 5 }), { name: 'TypeError', message: /prefix must be a string/ });
    assert.throws(() => encodeFrames([], 'x'), TypeError);
    assert.throws(() => encodeFrames('x'), TypeError);
  });

  it('refuses columns of different lengths', () => {
    assert.throws(() => encodeFrames({ paths: ['a', 'b'], values: [1] }), { name: 'RangeError', code: 'ERR_CARBON_INPUT', message: /^1 values for 2 paths/ });
    assert.throws(() => encodeFrames({ paths: ['a', 'b'], values: [1, 2], timestamps: [T0] }), { name: 'RangeError', code: 'ERR_CARBON_INPUT', message: /^1 timestamps for 2 paths/ });
    assert.throws(() => encodeFrames({ paths: ['a', 1], values: [1, 2] }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'paths[1] must be a string, not 1' });
  });
});

describe('FrameEncoder', () => {
  it('hands out frames as they fill, and the rest on flush', async () => {
    const points = sample(1234);
    const enc = new FrameEncoder({ maxPoints: 100, prefix: 'p' });
    const frames = [];
    let handed = 0;
    for (const p of points) {
      const out = enc.push(p);
      handed += out.length;
      frames.push(...out);
    }
    assert.equal(handed, 12);
    assert.equal(enc.pendingPoints, 34);
    assert.ok(enc.pendingBytes > 0);
    frames.push(...enc.flush());
    assert.equal(enc.pendingPoints, 0);
    assert.deepEqual(enc.flush(), []);
    assert.deepEqual(rows(await decodeFrames(frames)), expected(points, 'p'));
  });

  it('pushMany takes rows and columns; refused datapoints change nothing', async () => {
    const enc = new FrameEncoder({ maxPoints: 3 });
    const frames = [];
    frames.push(...enc.pushMany([{ path: 'a', value: 1, timestamp: T0 }, { path: 'b', value: 2, timestamp: T0 }]));
    assert.throws(() => enc.push({ path: 'bad path', value: 3, timestamp: T0 }), TypeError);
    const err = thrown(() => enc.pushMany({ paths: ['c', 'd', 'e..f', 'g'], values: [3, 4, 5, 6], timestamps: T0 }), TypeError);
    assert.equal(err.index, 2);
    assert.equal(err.path, 'e..f');
    assert.equal(enc.pendingPoints, 1); // a, b, c made a frame; d waits
    frames.push(...enc.pushMany([]));
    frames.push(...enc.push({ path: 'h', value: 7, timestamp: T0 + 1 }));
    frames.push(...enc.flush());
    assert.deepEqual(
      rows(await decodeFrames(frames)),
      [['a', T0, 1], ['b', T0, 2], ['c', T0, 3], ['d', T0, 4], ['h', T0 + 1, 7]],
    );
    assert.deepEqual(frames.map((f) => f.points), [3, 2]);
  });

  it('pushMany refused by a datapoint that is not one keeps the frames the datapoints before it finished', async () => {
    const enc = new FrameEncoder();
    const points = Array.from({ length: 1000 }, (_, i) => ({ path: `a.b${i}`, value: i, timestamp: T0 }));
    points[800] = { path: 'a.b', value: '800', timestamp: T0 };
    const err = thrown(() => enc.pushMany(points), TypeError);
    assert.equal(err.index, 800);
    const frames = enc.flush();
    assert.deepEqual(frames.map((f) => f.points), [500, 300]);
    assert.deepEqual(rows(await decodeFrames(frames)), expected(points.slice(0, 800)));
  });

  it('pushRange adds part of a batch and names datapoints by their index in it', () => {
    const enc = new FrameEncoder({ maxPoints: 2 });
    const points = [{ path: 'a', value: 1, timestamp: T0 }, { path: 'b', value: 2, timestamp: T0 }, { path: 'c', value: 3, timestamp: T0 }, { path: 'd d', value: 4, timestamp: T0 }];
    assert.deepEqual(enc.pushRange(points, 1, 3), []);
    assert.equal(enc.pendingPoints, 2); // b, c
    const err = thrown(() => enc.pushRange(points, 2, 4), TypeError);
    assert.equal(err.index, 3);
    assert.equal(enc.pendingPoints, 1); // c again, after the frame of b, c
    assert.throws(() => enc.pushRange(points, 3, 5), RangeError);
    assert.throws(() => enc.pushRange(points, 2, 1), RangeError);
    assert.deepEqual(enc.flush().map((f) => f.points), [2, 1]);
  });

  it('push names its datapoint by its path alone (no index); batch calls keep the index', () => {
    const enc = new FrameEncoder();
    const pushCases = [
      [{ path: 'a..b', value: 1, timestamp: T0 }, 'ERR_CARBON_INVALID_PATH', 'datapoint (path "a..b"): invalid path: empty path component at byte 2'],
      [{ path: 'a.b', value: NaN, timestamp: T0 }, 'ERR_CARBON_VALUE', 'datapoint (path "a.b"): value NaN is not a finite number'],
      [{ path: 'a.b', value: 1, timestamp: -1 }, 'ERR_CARBON_TIMESTAMP', 'datapoint (path "a.b"): timestamp -1 is not a time in 0..2^32 seconds'],
      [{ path: 'a.\ud800', value: 1, timestamp: T0 }, 'ERR_CARBON_INVALID_PATH', /^datapoint \(path "a\.\\ud800"\): invalid path: .*lone UTF-16 surrogate/],
      [{ path: 'a.b', value: 1, timestamp: 'soon' }, 'ERR_INVALID_ARG_TYPE', 'datapoint (path "a.b"): timestamp must be a number of seconds, a Date or undefined, not "soon"'],
      [{ path: 'x'.repeat(300), value: 1, timestamp: T0 }, 'ERR_CARBON_INVALID_PATH', /^datapoint \(path "x{200}"\.\.\. \(300 characters\)\): invalid path: path component at byte 0 is 300 bytes long/],
    ];
    for (const [point, code, message] of pushCases) {
      const err = thrown(() => enc.push(point), Error);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.doesNotMatch(err.message, /datapoint \d/);
      assert.equal(err.code, code);
      assert.ok(!('index' in err), `push's error has no index: ${err.message}`);
      if (code) assert.equal(err.path, point.path);
    }
    assert.equal(enc.pendingPoints, 0);
    // The same datapoint in a batch: named by its index, which the error carries.
    const bad = { path: 'a.b', value: NaN, timestamp: T0 };
    const ok = { path: 'ok', value: 1, timestamp: T0 };
    const batchCalls = [
      ['pushMany', () => new FrameEncoder().pushMany([ok, ok, bad])],
      ['encodeFrames', () => encodeFrames([ok, ok, bad])],
      ['MetricSet.encode', () => new MetricSet(['ok', 'a.b']).encode([1, 1, NaN], T0, [0, 0, 1])],
    ];
    for (const [name, call] of batchCalls) {
      const err = thrown(call, RangeError);
      assert.equal(err.index, 2, name);
      assert.equal(err.message, 'datapoint 2 (path "a.b"): value NaN is not a finite number', name);
    }
    const ts = thrown(() => encodeFrames([ok, { path: 'a.b', value: 1, timestamp: 'soon' }]), TypeError);
    assert.equal(ts.message, 'datapoint 1: timestamp must be a number of seconds, a Date or undefined, not "soon"');
    assert.equal(ts.code, 'ERR_INVALID_ARG_TYPE');
  });

  it('reports its options and cannot be used after free()', () => {
    const enc = new FrameEncoder({ protocol: 0 });
    assert.deepEqual(enc.options, { protocol: 0, maxBytes: 1048576, maxPoints: 500, allowSpaces: false, asciiOnly: false, hasPrefix: false });
    assert.equal(new FrameEncoder({ prefix: 'SECRET' }).options.prefix, undefined, 'the prefix (an API key) is not readable back');
    assert.equal(new FrameEncoder({ prefix: 'SECRET' }).options.hasPrefix, true);
    enc.free();
    assert.equal(enc.pendingPoints, 0);
    assert.throws(() => enc.push({ path: 'a', value: 1 }), /freed/);
  });
});

describe('protocol 0 in the module with every optional part', () => {
  it('the main module leaves it out and refuses it; the package hands it to the protocol-0 module', async () => {
    const { instances, instantiate } = require('../js/load.cjs');
    const { raw: main, memory: mainMemory } = instances.get('web');
    const { raw: p0, memory: p0Memory } = instantiate('full-web');
    assert.equal(main.hasProtocol0(), false);
    assert.equal(p0.hasProtocol0(), true);
    // The main module's own API, without the hand-off: the core refuses protocol 0 there (typed).
    const { createApi } = require('../pkg/api.cjs');
    const bare = createApi(main, mainMemory);
    const err = thrown(() => new bare.FrameEncoder({ protocol: 0 }), RangeError);
    assert.equal(err.code, 'ERR_CARBON_PROTOCOL');
    assert.equal(bare.encodeFrames([{ path: 'a.b', value: 1, timestamp: T0 }]).length, 1);
    // Through the package, every encoder takes protocol 0 from the other module: the same bytes as that
    // module's own API, which CPython reads back.
    const own = createApi(p0, p0Memory);
    const points = sample(700);
    const frames = encodeFrames(points, { protocol: 0, prefix: 'KEY' });
    assert.deepEqual(frames.map((f) => Buffer.from(f).toString('hex')), own.encodeFrames(points, { protocol: 0, prefix: 'KEY' }).map((f) => Buffer.from(f).toString('hex')));
    assert.equal(String.fromCharCode(frames[0][4], frames[0][5]), '(l');
    assert.deepEqual(rows(await decodeFrames(frames)).length, 700);
    const enc = new FrameEncoder({ protocol: 0 });
    assert.equal(enc instanceof FrameEncoder, false, 'made by the protocol-0 module');
    enc.push({ path: 'a.b', value: 1.5, timestamp: T0 });
    assert.deepEqual(rows(await decodeFrames(enc.flush())), [['a.b', T0, 1.5]]);
    enc.free();
    await require('../js/node.cjs').enableProtocol0(); // resolves at once in Node
  });
});

describe('MetricSet (interned paths)', () => {
  const names = Array.from({ length: 1200 }, (_, i) => `rack${i % 7}.node${i}.temp`);

  it('encodes one value per registered path', async () => {
    const set = new MetricSet(names, { prefix: 'KEY' });
    assert.equal(set.size, 1200);
    const values = Float64Array.from(names, (_, i) => i / 4);
    const frames = set.encode(values, T0);
    assert.deepEqual(frames.map((f) => f.points), [500, 500, 200]);
    assert.deepEqual(rows(await decodeFrames(frames)), names.map((p, i) => [`KEY.${p}`, T0, i / 4]));
    // The same set again, other values and per-point whole-second timestamps.
    const again = set.encode(values.map((v) => -v), Uint32Array.from(names, (_, i) => T0 + i));
    assert.deepEqual(rows(await decodeFrames(again)), names.map((p, i) => [`KEY.${p}`, T0 + i, -i / 4]));
  });

  it('encodes a subset by indices, in protocol 0', async () => {
    const set = new MetricSet(names, { protocol: 0 });
    const indices = Uint32Array.from([5, 1199, 0, 5]);
    const frames = set.encode([1, 2, 3, 4], [T0, T0 + 1, T0 + 2, T0 + 3], indices);
    assert.deepEqual(rows(await decodeFrames(frames)), [
      [names[5], T0, 1],
      [names[1199], T0 + 1, 2],
      [names[0], T0 + 2, 3],
      [names[5], T0 + 3, 4],
    ]);
  });

  it('refuses a bad path at registration, naming it', () => {
    const err = thrown(() => new MetricSet(['ok.a', 'ok.b', 'bad..c']), TypeError);
    assert.equal(err.index, 2);
    assert.match(err.message, /^path 2 \(path "bad\.\.c"\): invalid path: empty path component at byte 4$/);
  });

  it('refuses bad values with the frames before them, and mismatched input', async () => {
    const set = new MetricSet(names.slice(0, 600));
    const values = new Float64Array(600).fill(1);
    values[550] = NaN;
    const err = thrown(() => set.encode(values, T0), RangeError);
    assert.equal(err.index, 550);
    assert.equal(err.path, names[550]);
    assert.deepEqual(err.frames.map((f) => f.points), [500, 50]);
    assert.equal(rows(await decodeFrames(err.frames)).length, 550);
    assert.throws(() => set.encode([1, 2], T0), { name: 'RangeError', message: '2 values for 600 paths' });
    assert.throws(() => set.encode([1], T0, [600]), { name: 'RangeError', message: /index 600 is not a registered path/ });
    assert.throws(() => set.encode([1, 2], T0, [0]), { name: 'RangeError', message: '1 indices for 2 values' });
  });
});
