// Issue 11 end to end: the relays themselves as the reference. carbon 1.1.10's carbon-relay.py (consistent-hashing,
// replication 2) and carbon-c-relay 3.7 (jump_fnv1a_ch) each feed three carbon-caches; our CarbonClient sends the
// same datapoints straight to three twin caches with the same server strings and instances. Every cache's whisper
// tree must equal its twin's, file by file (header and points). Then a fault: one of three caches SIGKILLed and
// restarted three times mid-stream; the others keep up, and the replay window puts back what the dead one lost.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import { sleep, startCarbon } from './support/carbon.mjs';
import { compareTrees, sendLines, startCache, startCarbonRelay, startCRelay, trees, waitTotal } from './support/relays.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient } = require('../js/client.cjs');
const { CarbonRouter } = require('../js/route.cjs');

const INSTANCES = ['a', 'b', 'c'];
// A and B share a server string, C has its own: with diverse replicas the second copy of a metric whose ring walk
// goes a, b, ... is skipped to c; without, it goes to b. So both settings are seen to matter.
const HOSTS = ['127.0.0.1', '127.0.0.1', '127.0.0.2'];
const NAMES = 3000;
const STEPS = 4;
const WORDS = ['cpu', 'küche', 'café', 'Zürich', '東京', 'ñandú', 'Ωmega', 'temp-🌡', 'load_avg', 'disk:sda'];

function workload(prefix) {
  const T0 = Math.floor(Date.now() / 1000) - 1800;
  const paths = Array.from({ length: NAMES }, (_, k) => `${WORDS[k % WORDS.length]}.host${k % 53}.m${k}`);
  const points = [];
  for (let s = 0; s < STEPS; s++) for (let k = 0; k < NAMES; k++) points.push({ path: paths[k], value: (k % 1000) + s / 4, timestamp: T0 + s });
  const lines = points.map((p) => `${prefix}.${p.path} ${p.value} ${p.timestamp}`);
  return { T0, from: T0 - 5, until: T0 + STEPS + 5, paths, points, lines };
}

/** Asserts the relay's caches and the twins hold identical trees; returns the per-cache comparisons. */
async function compareAll(t, relayCaches, twins, prefix, w, copies) {
  const [relayTrees, twinTrees] = await Promise.all([trees(relayCaches, `${prefix}.`, w.from, w.until), trees(twins, `${prefix}.`, w.from, w.until)]);
  const results = relayTrees.map((r, i) => compareTrees(r, twinTrees[i]));
  results.forEach((r, i) => {
    t.diagnostic(`cache ${INSTANCES[i]} (${HOSTS[i]}): ${r.metrics} files, ${r.points} points; only behind the relay ${r.onlyA.length}, only on our twin ${r.onlyB.length}, differing ${r.differ.length}`);
    for (const m of [...r.onlyA.slice(0, 5)]) t.diagnostic(`  only behind the relay: ${m}`);
    for (const m of [...r.onlyB.slice(0, 5)]) t.diagnostic(`  only on our twin: ${m}`);
    for (const m of [...r.differ.slice(0, 5)]) t.diagnostic(`  differs: ${m} relay ${JSON.stringify(relayTrees[i][m])} ours ${JSON.stringify(twinTrees[i][m])}`);
  });
  for (const [i, r] of results.entries()) {
    assert.deepEqual({ onlyRelay: r.onlyA, onlyOurs: r.onlyB, differ: r.differ }, { onlyRelay: [], onlyOurs: [], differ: [] }, `cache ${INSTANCES[i]} equals its twin`);
  }
  // Both sides hold every datapoint `copies` times, each on a different cache, with its value.
  const seen = new Map();
  for (const tree of twinTrees) for (const [m, f] of Object.entries(tree)) seen.set(m, (seen.get(m) ?? 0) + 1);
  assert.equal(seen.size, NAMES, 'every metric is stored');
  assert.ok([...seen.values()].every((n) => n === copies), `every metric on ${copies} caches`);
  const byPath = new Map(w.points.map((p) => [`${prefix}.${p.path}`, []]));
  for (const p of w.points) byPath.get(`${prefix}.${p.path}`).push([p.timestamp, p.value]);
  for (const tree of twinTrees) for (const [m, f] of Object.entries(tree)) assert.deepEqual(f.points, byPath.get(m), m);
  return { relayTrees, twinTrees, results };
}

describe('CarbonClient({ destinations }) places every datapoint where the relays do', () => {
  const relayCaches = [];
  const twins = [];
  const started = [];
  before(async () => {
    const caches = await Promise.all([...HOSTS, ...HOSTS].map((h) => startCache(h)));
    relayCaches.push(...caches.slice(0, 3));
    twins.push(...caches.slice(3));
  });
  after(async () => {
    for (const s of started) await s.stop();
    await Promise.all([...relayCaches, ...twins].map((c) => c.stop()));
  });

  for (const [hash, diverseReplicas, prefix] of [
    ['carbon_ch', false, 'KEY1'],
    ['fnv1a_ch', true, 'KEY2'],
  ]) {
    it(`carbon-relay.py 1.1.10, ${hash}, REPLICATION_FACTOR = 2, DIVERSE_REPLICAS = ${diverseReplicas ? 'True' : 'False'}: ${NAMES} metrics x ${STEPS} points, every cache equals its twin`, { timeout: 150000 }, async (t) => {
      const began = Date.now();
      const w = workload(prefix);
      const relay = await startCarbonRelay({
        destinations: relayCaches.map((c, i) => `${c.host}:${c.port}:${INSTANCES[i]}`),
        hash,
        replicationFactor: 2,
        diverseReplicas,
      });
      started.push(relay);
      const client = new CarbonClient({
        destinations: twins.map((c, i) => `${c.host}:${c.port}:${INSTANCES[i]}`),
        hash,
        replicationFactor: 2,
        diverseReplicas,
        prefix,
      });
      await Promise.all([
        sendLines('127.0.0.1', relay.linePort, w.lines),
        (async () => {
          assert.equal(client.writeMany(w.points), w.points.length);
          await client.close({ timeout: 30000 });
        })(),
      ]);
      const expected = w.points.length * 2;
      assert.equal(client.stats.points, expected, 'our client wrote each datapoint twice');
      const [r, o] = await Promise.all([waitTotal(relayCaches, `${prefix}.`, w.from, w.until, expected, 90), waitTotal(twins, `${prefix}.`, w.from, w.until, expected, 90)]);
      t.diagnostic(`behind carbon-relay: ${JSON.stringify(r)}; ours: ${JSON.stringify(o)}`);
      assert.ok(r.complete, `carbon-relay delivered ${r.counts.reduce((a, b) => a + b)} of ${expected} points\n${relay.log().slice(-3000)}`);
      assert.ok(o.complete, `our client delivered ${o.counts.reduce((a, b) => a + b)} of ${expected} points`);
      await compareAll(t, relayCaches, twins, prefix, w, 2);
      if (diverseReplicas) {
        // Diverse replicas matter here: no metric is on both a and b (same server string 127.0.0.1).
        const tr = await trees(twins, `${prefix}.`, w.from, w.until);
        const both = Object.keys(tr[0]).filter((m) => m in tr[1]);
        assert.deepEqual(both, [], 'no metric on two caches of the same server');
      }
      await relay.stop();
      started.splice(started.indexOf(relay), 1);
      t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s`);
    });
  }

  it(`carbon-c-relay 3.7, jump_fnv1a_ch: ${NAMES} metrics x ${STEPS} points, every cache equals its twin`, { timeout: 150000 }, async (t) => {
    const began = Date.now();
    const prefix = 'JUMP';
    const w = workload(prefix);
    // carbon-c-relay rewrites every byte outside [A-Za-z0-9] and -c's list (default -_:#) to '_' before hashing:
    // 'Zürich' arrives as 'Z__rich'. List the names' other characters so that it keeps them as sent.
    const allowedChars = `-_:#${[...new Set(WORDS.join('').replace(/[A-Za-z0-9._:#-]/g, ''))].join('')}`;
    const relay = await startCRelay({ members: relayCaches.map((c, i) => `${c.host}:${c.linePort}=${INSTANCES[i]}`), allowedChars });
    started.push(relay);
    const client = new CarbonClient({ destinations: twins.map((c, i) => `${c.host}:${c.port}:${INSTANCES[i]}`), hash: 'jump_fnv1a_ch', prefix });
    await Promise.all([
      sendLines('127.0.0.1', relay.port, w.lines),
      (async () => {
        assert.equal(client.writeMany(w.points), w.points.length);
        await client.close({ timeout: 30000 });
      })(),
    ]);
    const expected = w.points.length;
    const [r, o] = await Promise.all([waitTotal(relayCaches, `${prefix}.`, w.from, w.until, expected, 90), waitTotal(twins, `${prefix}.`, w.from, w.until, expected, 90)]);
    t.diagnostic(`behind carbon-c-relay: ${JSON.stringify(r)}; ours: ${JSON.stringify(o)}`);
    assert.ok(r.complete, `carbon-c-relay delivered ${r.counts.reduce((a, b) => a + b)} of ${expected} points\n${relay.log().slice(-3000)}`);
    assert.ok(o.complete, `our client delivered ${o.counts.reduce((a, b) => a + b)} of ${expected} points`);
    await compareAll(t, relayCaches, twins, prefix, w, 1);
    await relay.stop();
    started.splice(started.indexOf(relay), 1);
    t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});

describe('CarbonClient({ destinations }) while one destination crashes', () => {
  const caches = [];
  before(async () => {
    caches.push(...(await Promise.all([0, 1, 2].map(() => startCarbon()))));
  });
  after(async () => {
    for (const c of caches) await c.stop();
  });

  it('cache b SIGKILLed and restarted 3 times mid-stream: the others keep receiving (lag measured), and every datapoint ends up on its cache', { timeout: 150000 }, async (t) => {
    const began = Date.now();
    const prefix = 'FAULT';
    const destinations = caches.map((c, i) => `127.0.0.1:${c.port}:${INSTANCES[i]}`);
    const client = new CarbonClient({ destinations, hash: 'carbon_ch', prefix, flushInterval: 20, reconnectMaxDelay: 400 });
    const router = new CarbonRouter(destinations, { hash: 'carbon_ch', prefix });
    const paths = Array.from({ length: 150 }, (_, k) => `${WORDS[k % WORDS.length]}.f${k}`);
    const home = paths.map((p) => router.route(p)[0]);
    const perTick = [0, 1, 2].map((d) => home.filter((h) => h === d).length);
    router.free();
    const T0 = Math.floor(Date.now() / 1000) - 1200;
    const MAX_TICKS = 600; // 600 s of timestamps at most, all older than now
    const from = T0 - 5;
    const untilTs = T0 + MAX_TICKS + 5;
    let ticks = 0;
    let streaming = true;
    const writer = (async () => {
      while (streaming && ticks < MAX_TICKS) {
        const n = client.writeMany(paths.map((path, k) => ({ path, value: ticks * 1000 + k, timestamp: T0 + ticks })));
        assert.equal(n, paths.length, `tick ${ticks} accepted whole`);
        ticks += 1;
        await sleep(40);
      }
    })();
    const live = [caches[0], caches[2]];
    const lags = [];
    for (let round = 0; round < 3; round++) {
      await sleep(1500);
      await caches[1].kill();
      await sleep(700);
      // While b is down: how long until a and c hold every point written so far?
      const n = ticks;
      const t0 = Date.now();
      const r = await waitTotal(live, `${prefix}.`, from, untilTs, (perTick[0] + perTick[2]) * n, 20, 0);
      lags.push(Date.now() - t0);
      assert.ok(r.complete, `a and c got the ${n} ticks written before b came back: ${JSON.stringify(r)}`);
      const down = client.stats.destinations[1];
      assert.ok(down.queuedPoints > 0, 'b keeps its share queued while it is down');
      await caches[1].restart();
    }
    await sleep(1500);
    streaming = false;
    await writer;
    await client.close({ timeout: 60000 });
    const s = client.stats;
    t.diagnostic(`${ticks} ticks x ${paths.length} metrics = ${ticks * paths.length} datapoints; per tick a ${perTick[0]}, b ${perTick[1]}, c ${perTick[2]}`);
    t.diagnostic(`a and c while b was down: every point written so far stored within ${lags.join(', ')} ms`);
    s.destinations.forEach((d, i) => t.diagnostic(`destination ${INSTANCES[i]}: ${JSON.stringify(d)}`));
    assert.equal(s.dropped, 0, 'nothing dropped');
    assert.equal(s.points, ticks * paths.length);
    for (let d = 0; d < 3; d++) {
      const r = await waitTotal([caches[d]], `${prefix}.`, from, untilTs, perTick[d] * ticks, 60);
      assert.ok(r.complete, `cache ${INSTANCES[d]} holds ${r.counts[0]} of ${perTick[d] * ticks} points`);
    }
    const all = await trees(caches, `${prefix}.`, from, untilTs);
    let missing = 0;
    let stored = 0;
    paths.forEach((p, k) => {
      const want = Array.from({ length: ticks }, (_, i) => [T0 + i, i * 1000 + k]);
      all.forEach((tree, d) => {
        const f = tree[`${prefix}.${p}`];
        if (d !== home[k]) return assert.equal(f, undefined, `${p} only on its cache`);
        stored += f?.points.length ?? 0;
        if (JSON.stringify(f?.points) !== JSON.stringify(want)) missing += want.length - (f?.points.length ?? 0) || 1;
      });
    });
    t.diagnostic(`stored ${stored} of ${ticks * paths.length}; missing or wrong ${missing}; ${((Date.now() - began) / 1000).toFixed(1)} s`);
    assert.equal(missing, 0);
    assert.equal(stored, ticks * paths.length);
  });
});
