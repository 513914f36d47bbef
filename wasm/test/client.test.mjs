// CarbonClient against the real carbon daemon: everything sent is read back from whisper exactly.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { decodeFrames, sleep, startCarbon, until } from './support/carbon.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient, parseTarget } = require('../js/client.cjs');

// Recent timestamps: whisper keeps one day at 1 s resolution.
const T0 = Math.floor(Date.now() / 1000) - 3600;

/** n datapoints over `paths` metrics, one per second each, values exact in binary. */
function grid(prefix, paths, seconds) {
  const names = Array.from({ length: paths }, (_, k) => `${prefix}.m${String(k).padStart(3, '0')}`);
  const points = [];
  for (let s = 0; s < seconds; s++) {
    for (let k = 0; k < paths; k++) points.push({ path: names[k], value: (k * 100000 + s) / 8, timestamp: T0 + s });
  }
  return points;
}

/** Checks that carbon stored exactly `points` under `prefix` (nothing missing, nothing else). */
async function assertStored(carbon, points, prefix) {
  const dump = await carbon.dump();
  const want = new Map();
  for (const p of points) {
    if (!want.has(p.path)) want.set(p.path, []);
    want.get(p.path).push([p.timestamp, p.value]);
  }
  const got = Object.keys(dump).filter((k) => k.startsWith(`${prefix}.`));
  assert.equal(got.length, want.size, 'metrics stored');
  let n = 0;
  for (const [path, pts] of want) {
    assert.deepEqual(dump[path], pts, `points of ${path}`);
    n += pts.length;
  }
  return n;
}

describe('CarbonClient with carbon', () => {
  let carbon;
  before(async () => {
    carbon = await startCarbon();
  });
  after(async () => {
    await carbon?.stop();
  });

  it('delivers 100,000 datapoints, every one read back exactly', async () => {
    const points = grid('e2e', 200, 500);
    const client = new CarbonClient({ port: carbon.port });
    let connects = 0;
    client.on('connect', () => connects++);
    // Half one at a time, half in batches of 5,000 (rows and columns).
    for (let i = 0; i < 50000; i++) assert.equal(client.write(points[i]), true);
    for (let i = 50000; i < 100000; i += 5000) {
      const batch = points.slice(i, i + 5000);
      if ((i / 5000) % 2 === 0) assert.equal(client.writeMany(batch), 5000);
      else assert.equal(client.writeMany({ paths: batch.map((p) => p.path), values: batch.map((p) => p.value), timestamps: batch.map((p) => p.timestamp) }), 5000);
    }
    await client.close();
    const s = client.stats;
    assert.equal(s.points, 100000);
    assert.equal(s.frames, 200);
    assert.equal(s.dropped, 0);
    assert.equal(connects, 1);
    await carbon.wait(100000, 120);
    assert.equal(await assertStored(carbon, points, 'e2e'), 100000);
  });

  it('survives the receiver closing idle connections', async () => {
    // A forwarder that hangs up on clients idle for 200 ms, as go-carbon and relays do after 2 minutes.
    const server = net.createServer((c) => {
      const up = net.connect({ host: '127.0.0.1', port: carbon.port });
      c.pipe(up);
      c.setTimeout(200, () => {
        c.end();
        up.end();
      });
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const points = grid('idle', 10, 30);
    const client = new CarbonClient({ port: server.address().port, flushInterval: 0 });
    for (const part of [points.slice(0, 100), points.slice(100, 200), points.slice(200)]) {
      client.writeMany(part);
      await client.flush();
      await sleep(500); // idle past the receiver's timeout
    }
    assert.ok(client.stats.connects >= 3, `${client.stats.connects} connections`);
    await client.close();
    server.close();
    await carbon.wait(100000 + points.length, 60);
    assert.equal(await assertStored(carbon, points, 'idle'), 300);
  });
});

describe('CarbonClient without carbon', () => {
  it('backs off exponentially with jitter, capped, then delivers', async () => {
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const client = new CarbonClient({ port, reconnectInitialDelay: 20, reconnectMaxDelay: 160, reconnectJitter: 0.5, flushInterval: 0 });
    const delays = [];
    client.on('reconnecting', ({ attempt, delay }) => delays.push({ attempt, delay }));
    client.writeMany([{ path: 'backoff.a', value: 1, timestamp: T0 }]);
    client.flush();
    await until(() => delays.length >= 7, 10000, 'seven reconnect attempts');
    delays.forEach(({ attempt, delay }, i) => {
      const base = Math.min(160, 20 * 2 ** attempt);
      assert.equal(attempt, i + 1);
      assert.ok(delay <= base && delay >= base / 2, `attempt ${attempt}: ${delay} ms not in [${base / 2}, ${base}]`);
    });
    assert.ok(delays.slice(-3).every(({ delay }) => delay <= 160), 'capped');
    assert.ok(new Set(delays.map((d) => d.delay)).size > 3, 'jittered');
    // Now something listens: the datapoint arrives.
    const received = [];
    const server = net.createServer((c) => c.on('data', (d) => received.push(d)));
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    await client.flush({ timeout: 5000 });
    await client.close();
    await until(() => received.length > 0, 5000, 'bytes at the listener');
    server.close();
    assert.deepEqual(await decodeFrames(received), [[['backoff.a', T0, 1]]]);
  });

  it('checks its options', () => {
    assert.deepEqual(parseTarget('carbon.example:2004'), { host: 'carbon.example', port: 2004 });
    assert.deepEqual(parseTarget('[::1]:2004'), { host: '::1', port: 2004 });
    assert.throws(() => parseTarget('nope'), TypeError);
    assert.throws(() => new CarbonClient({ port: 0 }), RangeError);
    assert.throws(() => new CarbonClient({ maxQueuedPoints: -1 }), RangeError);
    assert.throws(() => new CarbonClient({ reconnectJitter: 2 }), RangeError);
    assert.throws(() => new CarbonClient({ prefix: 'bad..prefix' }), TypeError);
    const c = new CarbonClient({ to: '127.0.0.1:1', prefix: 'KEY', flushInterval: 0 });
    assert.throws(() => c.write({ path: 'a b', value: 1 }), TypeError);
    assert.equal(c.queuedPoints, 0);
    c.destroy();
  });
});
