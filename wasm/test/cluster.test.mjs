// Cluster placement from the npm package (CarbonRouter, through its wasm module) against carbon 1.1.10's own
// ConsistentHashingRouter: core/tests/route_reference.py asks, this answers. Then CarbonClient({ destinations })
// against three real carbon-caches: every datapoint lands where the router says, and only there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PYTHON, sleep, startCarbon, until } from './support/carbon.mjs';

const require = createRequire(import.meta.url);
const { CarbonRouter } = require('../js/route.cjs');
const { CarbonClient } = require('../js/client.cjs');
const REFERENCE = fileURLToPath(new URL('../../core/tests/route_reference.py', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/carbon-pickle.cjs', import.meta.url));

const unhex = (h) => Buffer.from(h, 'hex').toString('utf8');

/** Answers route_reference.py's C, M and P requests with CarbonRouter; resolves with its summary. */
function answerReference(names, seed) {
  return new Promise((resolve, reject) => {
    const py = spawn(PYTHON, [REFERENCE, String(names), String(seed), 'placement'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    py.stderr.on('data', (d) => (stderr += d));
    let config = null; // { dests, options: { hash, replicationFactor, diverseReplicas } }
    const routers = new Map(); // prefix -> CarbonRouter
    let pending = []; // [kind, a, b]
    const answer = () => {
      const out = [];
      // Route the whole request batch at once, one routeMany per prefix.
      const groups = new Map();
      pending.forEach(([kind, a, b], i) => {
        const prefix = kind === 'P' ? a : '';
        if (!groups.has(prefix)) groups.set(prefix, []);
        groups.get(prefix).push([i, kind === 'P' ? b : a]);
      });
      for (const [prefix, items] of groups) {
        let router = routers.get(prefix);
        if (!router) {
          router = new CarbonRouter(config.dests, { ...config.options, prefix: prefix || undefined });
          routers.set(prefix, router);
        }
        const placed = router.routeMany(items.map(([, name]) => name));
        const per = router.replicationFactor;
        items.forEach(([i], k) => {
          const got = [];
          for (let r = 0; r < per; r++) if (placed[k * per + r] !== 255) got.push(placed[k * per + r]);
          out[i] = got.join(',');
        });
      }
      pending = [];
      py.stdin.write(out.map((l) => `${l}\n`).join(''));
    };
    createInterface({ input: py.stdout }).on('line', (line) => {
      const [kind, ...f] = line.split('\t');
      if (kind === 'C') {
        for (const r of routers.values()) r.free();
        routers.clear();
        const [hash, replication, diverse, ...dests] = f;
        config = { dests: dests.map(unhex), options: { hash, replicationFactor: Number(replication), diverseReplicas: diverse === '1' } };
        try {
          routers.set('', new CarbonRouter(config.dests, config.options));
          py.stdin.write('ok\n');
        } catch (err) {
          py.stdin.write(`err ${err.message.replace(/\n/g, ' ')}\n`);
        }
      } else if (kind === 'M') pending.push(['M', unhex(f[0])]);
      else if (kind === 'P') pending.push(['P', unhex(f[0]), unhex(f[1])]);
      else if (kind === 'F') answer();
      else if (kind === 'Q') py.stdin.end();
    });
    py.on('close', (code) => (code === 0 ? resolve(stderr.trim().split('\n').pop()) : reject(new Error(`route_reference.py exited ${code}:\n${stderr}`))));
  });
}

describe('CarbonRouter (carbon-pickle/cluster) against carbon 1.1.10', () => {
  it('places 300,000 names exactly as ConsistentHashingRouter (carbon_ch, fnv1a_ch, replication 1-3, diverse on/off, IPv6, no instance, prefixes, non-ASCII)', async (t) => {
    const summary = await answerReference(300000, 11);
    t.diagnostic(summary);
    assert.match(summary, /^names 300000 differences 0 configs 60; duplicates 0\/4 differ$/);
  });

  it('refuses bad destinations with typed errors', () => {
    assert.throws(() => new CarbonRouter(['10.0.0.1:2004:a', '10.0.0.1:2104:a']), { name: 'TypeError', code: 'ERR_CARBON_DESTINATION', index: 1, message: /repeats destination 0/ });
    assert.throws(() => new CarbonRouter(['h:99999']), { name: 'RangeError', index: 0, message: /port must be a number from 1 to 65535/ });
    assert.throws(() => new CarbonRouter(['[::1:2004']), { name: 'TypeError', message: /IPv6 is written/ });
    assert.throws(() => new CarbonRouter(['a:1'], { hash: 'md5' }), RangeError);
    assert.throws(() => new CarbonRouter(Array.from({ length: 33 }, (_, i) => `h${i}:2004`)), { name: 'RangeError', message: /more than 32 destinations/ });
    const r = new CarbonRouter(['a:1', 'b:1'], { hash: 'fnv1a_ch' });
    assert.deepEqual(r.fnv1aClash, [0, 1], 'no instances: fnv1a_ch puts both destinations on the same ring points');
    assert.equal(new CarbonRouter(['a:1:x', 'b:1:y'], { hash: 'fnv1a_ch' }).fnv1aClash, null);
  });
});

describe('CarbonClient({ destinations }) against three carbon-caches', () => {
  const caches = [];
  before(async () => {
    for (let i = 0; i < 3; i++) caches.push(await startCarbon());
  });
  after(async () => {
    for (const c of caches) await c.stop();
  });

  it('every datapoint lands on the caches the router picks (replication 2), and only there', async () => {
    const destinations = caches.map((c, i) => `127.0.0.1:${c.port}:${'abc'[i]}`);
    const options = { hash: 'carbon_ch', replicationFactor: 2, diverseReplicas: false, prefix: 'KEY' };
    const client = new CarbonClient({ destinations, ...options });
    const T0 = Math.floor(Date.now() / 1000) - 3600;
    const paths = Array.from({ length: 300 }, (_, k) => `cluster.m${k}`);
    const points = [];
    for (let s = 0; s < 20; s++) for (const path of paths) points.push({ path, value: s, timestamp: T0 + s });
    assert.equal(client.writeMany(points), points.length);
    await client.close({ timeout: 30000 });
    const stats = client.stats;
    assert.equal(stats.points, points.length * 2, 'each datapoint written twice (replication 2)');
    assert.equal(stats.destinations.length, 3);
    const router = new CarbonRouter(destinations, options);
    const want = caches.map(() => new Set());
    paths.forEach((p, k) => {
      for (const d of router.route(p)) want[d].add(`KEY.${p}`);
    });
    for (let d = 0; d < 3; d++) {
      await caches[d].wait(want[d].size * 20, 60, 'KEY.cluster.');
      const dump = await caches[d].dump('KEY.cluster.');
      assert.deepEqual(new Set(Object.keys(dump)), want[d], `metrics on cache ${d}`);
      for (const m of want[d]) assert.equal(dump[m].length, 20, `${m} on cache ${d}`);
    }
  });

  it('the CLI: several --to, --hash, --replication, --no-diverse-replicas put every line where the router says', async () => {
    const destinations = caches.map((c, i) => `127.0.0.1:${c.port}:${'abc'[i]}`);
    const T0 = Math.floor(Date.now() / 1000) - 2400;
    const paths = Array.from({ length: 200 }, (_, k) => `clicluster.${k % 2 ? 'küche' : 'hall'}.m${k}`);
    const lines = [];
    for (let s = 0; s < 5; s++) for (const p of paths) lines.push(`${p} ${s} ${T0 + s}`);
    const args = [CLI, 'send', ...destinations.flatMap((d) => ['--to', d]), '--hash', 'fnv1a_ch', '--replication', '2', '--no-diverse-replicas', '--prefix', 'CLI'];
    const code = await new Promise((resolve) => {
      const p = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'inherit'] });
      p.on('close', resolve);
      p.stdin.end(`${lines.join('\n')}\n`);
    });
    assert.equal(code, 0);
    const router = new CarbonRouter(destinations, { hash: 'fnv1a_ch', replicationFactor: 2, diverseReplicas: false, prefix: 'CLI' });
    const want = caches.map(() => new Set());
    for (const p of paths) for (const d of router.route(p)) want[d].add(`CLI.${p}`);
    assert.equal(want.reduce((n, w) => n + w.size, 0), 400, 'two copies of each metric');
    for (let d = 0; d < 3; d++) {
      await caches[d].wait(want[d].size * 5, 60, 'CLI.clicluster.');
      const dump = await caches[d].dump('CLI.clicluster.');
      assert.deepEqual(new Set(Object.keys(dump)), want[d], `metrics on cache ${d}`);
    }
  });

  it('one of three caches killed and restarted 3 times mid-stream: nothing missing anywhere, the others keep up', async (t) => {
    const destinations = caches.map((c, i) => `127.0.0.1:${c.port}:${'abc'[i]}`);
    const client = new CarbonClient({ destinations, flushInterval: 20, reconnectInitialDelay: 50, reconnectMaxDelay: 400 });
    const router = new CarbonRouter(destinations);
    const T0 = Math.floor(Date.now() / 1000) - 5000;
    const paths = Array.from({ length: 150 }, (_, k) => `fault.m${k}`);
    const share = [0, 0, 0];
    for (const p of paths) share[router.route(p)[0]]++;
    let maxLag = 0; // ms from writing a batch until the live destinations have written all of it
    const seconds = 400;
    const down = { from: 30, to: 70 }; // cache 0 dies at second 30, 130, 230 of the data and is back 40 s of data later
    for (let s = 0; s < seconds; s++) {
      const deadNow = s % 100 >= down.from && s % 100 < down.to;
      if (s % 100 === down.from) await caches[0].kill();
      if (s % 100 === down.to) await caches[0].restart();
      client.writeMany(paths.map((path, k) => ({ path, value: k * 1000 + s, timestamp: T0 + s })));
      if (deadNow) {
        const started = Date.now();
        await until(() => client.stats.destinations.slice(1).every((d) => d.queuedPoints === 0), 5000, 'the live caches to be written');
        maxLag = Math.max(maxLag, Date.now() - started);
      }
      await sleep(5);
    }
    await client.close({ timeout: 60000 });
    const stats = client.stats;
    t.diagnostic(`live caches written within ${maxLag} ms of each batch while cache 0 was down; cache 0: ${stats.destinations[0].disconnects} connections lost, ${stats.destinations[0].replayedPoints} datapoints sent again`);
    assert.ok(maxLag < 1000, `the live caches lagged ${maxLag} ms`);
    assert.equal(stats.dropped, 0);
    assert.ok(stats.destinations[0].disconnects >= 3);
    for (let d = 0; d < 3; d++) {
      const mine = paths.filter((p) => router.route(p)[0] === d);
      const stored = async () => Object.values(await caches[d].dump('fault.')).reduce((n, pts) => n + pts.length, 0);
      await until(async () => (await stored()) >= mine.length * seconds, 90000, `cache ${d} to store its share`, 500).catch(() => {});
      const dump = await caches[d].dump('fault.');
      let missing = 0;
      for (const p of mine) {
        const stored = new Map(dump[p] ?? []);
        for (let s = 0; s < seconds; s++) if (stored.get(T0 + s) !== paths.indexOf(p) * 1000 + s) missing++;
      }
      assert.equal(missing, 0, `datapoints missing on cache ${d}`);
      assert.equal(Object.keys(dump).length, share[d], `only its own metrics on cache ${d}`);
    }
  });

  it("a dead destination's queue bound and drop count are exact; the live one gets all of its share", async () => {
    const destinations = [`127.0.0.1:${caches[1].port}:a`, '127.0.0.1:1:b'];
    const client = new CarbonClient({ destinations, maxQueuedPoints: 1000, flushInterval: 0, reconnectMaxDelay: 200 });
    const router = new CarbonRouter(destinations);
    const T0 = Math.floor(Date.now() / 1000) - 6000;
    const points = Array.from({ length: 6000 }, (_, i) => ({ path: `bound.m${i % 60}`, value: i, timestamp: T0 + Math.floor(i / 60) }));
    const toDead = points.filter((p) => router.route(p.path)[0] === 1).length;
    let dropEvents = 0;
    client.on('drop', ({ points: n, destination }) => {
      assert.equal(destination, '127.0.0.1:1:b');
      dropEvents += n;
    });
    for (let i = 0; i < points.length; i += 500) {
      client.writeMany(points.slice(i, i + 500));
      await sleep(20);
    }
    await client.flush({ timeout: 1000 }).catch(() => {});
    const [live, dead] = client.stats.destinations;
    assert.equal(dead.queuedPoints, 1000, 'the dead destination holds exactly its bound');
    assert.equal(dead.dropped, toDead - 1000, 'and drops exactly the rest');
    assert.equal(dropEvents, toDead - 1000);
    assert.equal(live.dropped, 0);
    assert.equal(live.points, points.length - toDead);
    client.destroy();
  });

  it('a destination that is down never delays the others', async () => {
    const destinations = [`127.0.0.1:${caches[0].port}:a`, '127.0.0.1:1:b'];
    const client = new CarbonClient({ destinations, flushInterval: 0 });
    const T0 = Math.floor(Date.now() / 1000) - 1800;
    const paths = Array.from({ length: 200 }, (_, k) => `down.m${k}`);
    client.writeMany(paths.map((path) => ({ path, value: 1, timestamp: T0 })));
    await assert.rejects(client.close({ timeout: 2000 }), { code: 'ETIMEDOUT', destination: '127.0.0.1:1:b' });
    const s = client.stats;
    assert.ok(s.destinations[0].points > 0 && s.destinations[0].queuedPoints === 0, 'the live destination got all of its share');
    assert.ok(s.destinations[1].queuedPoints > 0 && s.destinations[1].points === 0, 'the dead one keeps its share queued');
    assert.equal(s.destinations[0].points + s.destinations[1].queuedPoints, 200);
    client.destroy();
  });
});
