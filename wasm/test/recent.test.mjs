// encodeFrames with rows remembers the paths it sent to each encoder and sends a repeated path as its number
// (issue 22; wasm/src/recent.rs). Whatever it remembers, the frames must be exactly those of an encoder that
// remembers nothing (the stream FrameEncoder), across calls, past the caps, after refusals, and errors
// must still name the right datapoint.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const { encodeFrames, FrameEncoder } = require('../js/node.cjs');

const T0 = 1_700_000_000;
const OPTS = { maxPoints: 50 };

const bytes = (frames) => Buffer.concat(frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));

// The frames of an encoder that never remembers a path.
function reference(points, options = OPTS) {
  const enc = new FrameEncoder(options);
  try {
    return bytes([...enc.pushMany(points), ...enc.flush()]);
  } finally {
    enc.free();
  }
}

const rowsOf = (paths, n, t = T0) => Array.from({ length: n }, (_, i) => ({ path: paths[i % paths.length], value: i / 3, timestamp: t + i }));

describe('encodeFrames remembers recent paths', () => {
  it('repeated paths, across calls and within one, give the same frames as one-off paths', () => {
    const paths = ['servers.web01.cpu', 'sensors.küche.temp', 'emoji.🚀.count', 'tags;host=a;dc=d1', 'x'];
    for (let call = 0; call < 4; call++) {
      const rows = rowsOf(paths, 120, T0 + call * 1000);
      assert.deepEqual(bytes(encodeFrames(rows, OPTS)), reference(rows), `call ${call}`);
    }
  });

  it('more paths than the cap (4,096 paths, 65,536 code units): forgotten and started again, same frames', () => {
    const paths = Array.from({ length: 6000 }, (_, i) => `host${i}.disk.${'x'.repeat(1 + (i % 40))}.used`);
    for (let call = 0; call < 3; call++) {
      const rows = rowsOf(paths, 6000, T0 + call);
      assert.deepEqual(bytes(encodeFrames(rows, OPTS)), reference(rows), `call ${call}`);
    }
  });

  it('a refused datapoint names its index, keeps the frames before it, and the next call is right', () => {
    const paths = ['a.b', 'c.d', 'e.f'];
    const good = rowsOf(paths, 30);
    encodeFrames(good, OPTS); // remembers a.b, c.d, e.f
    const bad = [...rowsOf(paths, 10), { path: 'bad..path', value: 1, timestamp: T0 }, ...rowsOf(['g.h', 'a.b'], 5)];
    assert.throws(() => encodeFrames(bad, OPTS), (e) => {
      assert.equal(e.code, 'ERR_CARBON_INVALID_PATH');
      assert.equal(e.index, 10);
      assert.deepEqual(bytes(e.frames), reference(bad.slice(0, 10)));
      return true;
    });
    const after = rowsOf(['g.h', 'a.b', 'c.d', 'i.j'], 40);
    assert.deepEqual(bytes(encodeFrames(after, OPTS)), reference(after));
  });

  it('a lone surrogate in a new path is named by its own index among remembered ones', () => {
    const rows = [...rowsOf(['a.b', 'c.d'], 6), { path: 'e.\ud800', value: 1, timestamp: T0 }];
    encodeFrames(rowsOf(['a.b', 'c.d'], 4), OPTS);
    assert.throws(() => encodeFrames(rows, OPTS), (e) => e.code === 'ERR_CARBON_INVALID_PATH' && e.index === 6 && /lone UTF-16 surrogate/.test(e.message));
    const next = rowsOf(['c.d', 'a.b', 'k.l'], 9);
    assert.deepEqual(bytes(encodeFrames(next, OPTS)), reference(next));
  });

  it('a bad row object (not reaching wasm) makes both sides forget; later calls stay right', () => {
    encodeFrames(rowsOf(['m.n', 'o.p'], 4), OPTS);
    const rows = [...rowsOf(['q.r', 'm.n'], 3), { path: 's.t', value: 'nope', timestamp: T0 }];
    assert.throws(() => encodeFrames(rows, OPTS), TypeError);
    const next = rowsOf(['q.r', 'm.n', 's.t', 'o.p'], 12);
    assert.deepEqual(bytes(encodeFrames(next, OPTS)), reference(next));
  });

  it('a refused batch of columns with the same options makes both sides forget; later rows stay right', () => {
    encodeFrames(rowsOf(['u.v', 'w.x'], 4), OPTS);
    assert.throws(() => encodeFrames({ paths: ['u.v', 'bad..path'], values: [1, 2], timestamps: T0 }, OPTS), (e) => e.index === 1);
    const next = rowsOf(['w.x', 'u.v', 'y.z'], 9);
    assert.deepEqual(bytes(encodeFrames(next, OPTS)), reference(next));
  });

  it('a path refused when first sent is refused again with the same error, never remembered', () => {
    for (const bad of ['bad..path', 'a b', 'disk;rack=~a1', 'x;=y']) {
      const first = [...rowsOf(['ok.one'], 3), { path: bad, value: 1, timestamp: T0 }];
      const errors = [];
      for (let call = 0; call < 3; call++) {
        try {
          encodeFrames(first, OPTS);
          assert.fail(`${bad} accepted`);
        } catch (e) {
          errors.push([e.name, e.code, e.index, e.message, bytes(e.frames).toString('hex')]);
        }
      }
      assert.equal(errors[0][1], 'ERR_CARBON_INVALID_PATH', bad);
      assert.deepEqual(errors[1], errors[0], bad);
      assert.deepEqual(errors[2], errors[0], bad);
      const plain = new FrameEncoder(OPTS);
      assert.throws(() => plain.pushMany(first), (e) => e.message === errors[0][3] && e.index === 3);
      plain.free();
    }
  });

  it('each set of options keeps its own table (a prefix, protocol 0 untouched)', () => {
    const rows = rowsOf(['a.b', 'c.d'], 20);
    const withPrefix = { ...OPTS, prefix: 'KEY' };
    for (let call = 0; call < 2; call++) {
      assert.deepEqual(bytes(encodeFrames(rows, withPrefix)), reference(rows, withPrefix));
      assert.deepEqual(bytes(encodeFrames(rows, OPTS)), reference(rows));
      assert.deepEqual(bytes(encodeFrames(rows, { ...OPTS, protocol: 0 })), reference(rows, { ...OPTS, protocol: 0 }));
    }
  });
});
