// `carbon-pickle/client` from the packed tarball in Node, Deno (--allow-net only), Bun and workerd, against
// the real carbon: delivery over TCP and TLS, carbon killed and restarted mid-stream, the receiver down while
// close() is pending (the process must neither exit nor spin: its CPU time is measured), and backpressure
// (a producer that waits for room loses nothing, with bounded memory), Graphite tags (globalTags) found by
// the graphite-web beside carbon. Every datapoint is read back from whisper (tagged ones through graphite-web). Senders run as separate processes (test/support/driver.mjs; the example Worker under workerd).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { sleep, startCarbon, until } from './support/carbon.mjs';
import { bin, DENO_ENV, installPacked, pkgDir, workerdModules } from './support/package.mjs';
import { makeCertificates, startTlsTerminator } from './support/tls.mjs';

const RUNTIMES = {
  node: [process.execPath],
  deno: [bin('deno'), 'run', '--quiet', '--no-config', '--node-modules-dir=manual', '--no-prompt', '--allow-net'],
  bun: [bin('bun')],
};
const HZ = 100; // clock ticks per second in /proc/<pid>/stat (USER_HZ on Linux)

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / HZ;
}

/** Peak resident memory of a live process, in MiB. */
function peakRssMiB(pid) {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

let scratch;

/**
 * Runs the driver in a runtime. Returns { pid, lines, exited, line(pred, ms), peakRss() }: `exited` resolves
 * with the exit code; the peak RSS is sampled while the process runs.
 */
function drive(runtime, cfg) {
  const child = spawn(RUNTIMES[runtime][0], [...RUNTIMES[runtime].slice(1), 'driver.mjs', JSON.stringify(cfg)], {
    cwd: scratch,
    env: DENO_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let err = '';
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d) => (err += d));
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, peakRssMiB(child.pid));
    } catch {
      // exited
    }
  }, 50);
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal, stderr: err });
    });
  });
  return {
    pid: child.pid,
    lines,
    exited,
    peakRss: () => peak,
    line: (pred, ms, what) => until(() => lines.find(pred), ms, what),
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
  };
}

/** Waits for the driver to exit 0 and returns its final report. */
async function finished(d, ms = 120000) {
  const timer = setTimeout(() => d.kill(), ms);
  const { code, signal, stderr } = await d.exited;
  clearTimeout(timer);
  assert.equal(code, 0, `exit ${code} ${signal ?? ''}: ${stderr}`);
  const done = d.lines.find((l) => l.done);
  assert.ok(done, `no report: ${JSON.stringify(d.lines)}`);
  return done;
}

/** Datapoint i of a driver run, as whisper stores it: [timestamp, value] under its path. */
function expected({ prefix, count, metrics, t0 }, keyPrefix = '') {
  const want = new Map();
  for (let i = 0; i < count; i++) {
    const path = `${keyPrefix}${prefix}.m${i % metrics}`;
    if (!want.has(path)) want.set(path, []);
    want.get(path).push([t0 + Math.floor(i / metrics), i / 4]);
  }
  return want;
}

/** Asserts that carbon holds exactly the run's datapoints (each once, every value exact). */
async function assertStored(carbon, run, keyPrefix = '') {
  const want = expected(run, keyPrefix);
  const prefix = `${keyPrefix}${run.prefix}.`;
  await carbon.wait(run.count, 180, prefix);
  const dump = await carbon.dump(prefix);
  const got = Object.keys(dump).filter((k) => k.startsWith(prefix));
  assert.equal(got.length, want.size, `metrics under ${prefix}`);
  let n = 0;
  for (const [path, pts] of want) {
    assert.deepEqual(dump[path], pts, `points of ${path}`);
    n += pts.length;
  }
  assert.equal(n, run.count);
}

describe('carbon-pickle/client in every runtime, against carbon', () => {
  let installed;
  let carbon;
  let certs;
  let terminator;
  let certDir;
  // Recent seconds (whisper keeps one day at 1 s); each run gets its own prefix and second range.
  let nextT0 = Math.floor(Date.now() / 1000) - 80000;
  const run = (prefix, count, metrics, extra = {}) => {
    const r = { prefix, count, metrics, t0: nextT0, ...extra };
    nextT0 += Math.ceil(count / metrics) + 10;
    return r;
  };

  before(async () => {
    installed = await installPacked('carbon-pickle-clients-');
    scratch = installed.scratch;
    copyFileSync(join(pkgDir, 'test', 'support', 'driver.mjs'), join(scratch, 'driver.mjs'));
    carbon = await startCarbon({ graphite: true });
    certDir = mkdtempSync(join(tmpdir(), 'carbon-pickle-certs-'));
    certs = makeCertificates(certDir);
    terminator = await startTlsTerminator(certs, carbon.port);
  });

  after(async () => {
    await terminator?.close();
    await carbon?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
    installed?.remove();
  });

  describe('delivery: 10,000 datapoints over TCP and over TLS with a test CA', () => {
    for (const runtime of Object.keys(RUNTIMES)) {
      for (const tls of [false, true]) {
        it(`${runtime} over ${tls ? 'TLS' : 'TCP'}`, async (t) => {
          const r = run(`rt.${runtime}.${tls ? 'tls' : 'tcp'}`, 10000, 100, { mode: 'write' });
          const cfg = tls ? { ...r, port: terminator.port, tls: { ca: certs.ca.toString() } } : { ...r, port: carbon.port };
          const done = await finished(drive(runtime, cfg));
          assert.equal(done.stats.points, 10000);
          assert.equal(done.stats.dropped, 0);
          await assertStored(carbon, r);
          t.diagnostic(`${runtime} ${tls ? 'TLS' : 'TCP'}: ${done.stats.points} written, ${done.stats.frames} frames, ${done.events.connect} connection(s)`);
        });
      }
    }

    it('Deno and Bun refuse an endpoint whose certificate another CA signed; nothing reaches it', async () => {
      for (const runtime of ['deno', 'bun']) {
        const before = terminator.forwarded();
        const d = drive(runtime, { ...run(`rt.${runtime}.refused`, 10, 10, { mode: 'close' }), port: terminator.port, tls: { ca: certs.otherCa.toString() } });
        await d.line((l) => l.waiting, 20000, 'the driver to queue');
        await sleep(1500);
        assert.equal(d.lines.some((l) => l.done), false, `${runtime} must not finish`);
        d.kill();
        await d.exited;
        assert.equal(terminator.forwarded(), before, `${runtime}: no application data reached the endpoint`);
      }
    });
  });

  describe('Graphite tags: globalTags in every runtime, every series found and rendered by graphite-web', () => {
    for (const runtime of Object.keys(RUNTIMES)) {
      it(`${runtime}: tagged series as carbon stores them, every datapoint`, async () => {
        const globalTags = { suite: 'every-runtime', runtime };
        const r = run(`rt.${runtime}.tagged`, 200, 4, { mode: 'write', options: { globalTags } });
        const done = await finished(drive(runtime, { ...r, port: carbon.port }));
        assert.equal(done.stats.points, 200);
        const want = new Map([...expected(r)].map(([path, pts]) => [`${path};runtime=${runtime};suite=every-runtime`, pts]));
        const expr = encodeURIComponent(`runtime=${runtime}`);
        let found;
        await until(async () => {
          found = (await carbon.graphite(`/tags/findSeries?expr=${expr}&expr=suite%3Devery-runtime`)).sort();
          return found.length >= want.size;
        }, 60000, `graphite-web to hold ${runtime}'s series`).catch(() => {});
        assert.deepEqual(found, [...want.keys()].sort());
        const until0 = r.t0 + Math.ceil(r.count / r.metrics) + 1;
        for (const [series, pts] of want) {
          const target = `seriesByTag('name=${series.split(';')[0]}','runtime=${runtime}')`;
          let got;
          await until(async () => {
            const answer = await carbon.graphite(`/render?target=${encodeURIComponent(target)}&format=json&from=${r.t0 - 1}&until=${until0}`);
            got = answer.map((x) => [x.target, x.datapoints.filter((p) => p[0] !== null).map(([v, t]) => [t, v])]);
            return got.length === 1 && got[0][1].length === pts.length;
          }, 60000, `graphite-web to render ${series}`).catch(() => {});
          assert.deepEqual(got, [[series, pts]]);
        }
      });
    }
  });

  describe('cluster destinations (the route module) in Deno and Bun', () => {
    for (const runtime of ['deno', 'bun']) {
      it(`${runtime}: 10,000 datapoints routed over two destinations, every one stored once`, async (t) => {
        const destinations = [`127.0.0.1:${carbon.port}:a`, `127.0.0.1:${carbon.port}:b`];
        const r = run(`rt.${runtime}.cluster`, 10000, 200, { mode: 'write', options: { destinations, hash: 'carbon_ch' } });
        const done = await finished(drive(runtime, { ...r, port: carbon.port }));
        assert.equal(done.stats.points, 10000);
        assert.deepEqual(done.stats.destinations.map((d) => d.destination), destinations);
        assert.ok(done.stats.destinations.every((d) => d.points > 0), 'both destinations got a share');
        await assertStored(carbon, r);
        t.diagnostic(`${runtime}: ${done.stats.destinations.map((d) => `${d.destination} ${d.points}`).join(', ')}`);
      });
    }
  });

  describe('workerd: the example Worker (examples/worker) under `workerd serve`, asked over HTTP', () => {
    let workerd;
    let httpPort;
    before(async () => {
      // The example as wrangler would bundle it: its import resolved to the package's workerd entry.
      const pkgJson = JSON.parse(readFileSync(join(scratch, 'node_modules', 'carbon-pickle', 'package.json'), 'utf8'));
      const entry = join('node_modules', 'carbon-pickle', pkgJson.exports['./client'].workerd);
      const source = readFileSync(join(pkgDir, 'examples', 'worker', 'worker.mjs'), 'utf8');
      assert.match(source, /from 'carbon-pickle\/client'/);
      writeFileSync(join(scratch, 'worker.mjs'), source.replace("from 'carbon-pickle/client'", `from './${entry}'`));
      writeFileSync(join(scratch, 'ca.pem'), certs.ca);
      httpPort = await freePort();
      const modules = [`(name = "worker.mjs", esModule = embed "worker.mjs")`, ...workerdModules(scratch)].join(', ');
      const worker = (to, tls) => `( modules = [ ${modules} ], compatibilityDate = "2024-09-23",
    bindings = [ (name = "CARBON_TO", text = "${to}"), (name = "CARBON_TLS", text = "${tls}"), (name = "HOSTEDGRAPHITE_API_KEY", text = "APIKEY"),
      (name = "CARBON_TIMEOUT_MS", text = "3000") ] )`;
      const dead = await freePort();
      // Loopback is a private address: the outbound service must allow it, and trust the test CA for TLS.
      writeFileSync(join(scratch, 'serve.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "tcp", worker = .tcp),
    (name = "tls", worker = .tls),
    (name = "dead", worker = .dead),
    (name = "internet", network = ( allow = ["private"], tlsOptions = ( trustedCertificates = [ embed "ca.pem" ] ) )),
  ],
  sockets = [
    (name = "tcp", address = "127.0.0.1:${httpPort}", http = (), service = "tcp"),
    (name = "tls", address = "127.0.0.1:${httpPort + 1}", http = (), service = "tls"),
    (name = "dead", address = "127.0.0.1:${httpPort + 2}", http = (), service = "dead"),
  ],
);
const tcp :Workerd.Worker = ${worker(`127.0.0.1:${carbon.port}`, 'off')};
const tls :Workerd.Worker = ${worker(`127.0.0.1:${terminator.port}`, 'on')};
const dead :Workerd.Worker = ${worker(`127.0.0.1:${dead}`, 'off')};
`);
      workerd = spawn(bin('workerd'), ['serve', 'serve.capnp'], { cwd: scratch, stdio: ['ignore', 'inherit', 'inherit'] });
      await until(async () => {
        try {
          return (await fetch(`http://127.0.0.1:${httpPort + 1}/`)).status === 405;
        } catch {
          return false;
        }
      }, 30000, 'workerd to listen');
    });
    after(() => {
      if (workerd && workerd.exitCode === null) workerd.kill('SIGTERM');
    });

    const lines = (r) => {
      const out = [];
      for (let i = 0; i < r.count; i++) out.push(`${r.prefix}.m${i % r.metrics} ${i / 4} ${r.t0 + Math.floor(i / r.metrics)}`);
      return `${out.join('\n')}\n`;
    };

    for (const tls of [false, true]) {
      it(`10,000 datapoints over ${tls ? 'TLS (trustedCertificates)' : 'TCP'}: send() answered in the request, then a client closed in waitUntil`, async (t) => {
        const port = tls ? httpPort + 1 : httpPort;
        const r = run(`rt.workerd.${tls ? 'tls' : 'tcp'}`, 10000, 100);
        const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: lines(r) });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.points, 10000);
        assert.equal(body.frames, 20);
        await assertStored(carbon, r, 'APIKEY.');
        const r2 = run(`rt.workerd.${tls ? 'tls' : 'tcp'}-later`, 10000, 100);
        const res2 = await fetch(`http://127.0.0.1:${port}/?async=1`, { method: 'POST', body: lines(r2) });
        assert.equal(res2.status, 202);
        assert.deepEqual(await res2.json(), { accepted: 10000 });
        await assertStored(carbon, r2, 'APIKEY.');
        t.diagnostic(`workerd ${tls ? 'TLS' : 'TCP'}: ${body.points} + 10000 datapoints written`);
      });
    }

    it('a bad line is a 400 naming it; a dead receiver is a 502 saying how many were not delivered', async () => {
      const bad = await fetch(`http://127.0.0.1:${httpPort}/`, { method: 'POST', body: 'a.b 1 1700000000\na..b 2 1700000000\n' });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error, /datapoint 1 \(path "APIKEY\.a\.\.b"\)|invalid path/);
      const notes = await fetch(`http://127.0.0.1:${httpPort}/`, { method: 'POST', body: 'a.b one 1700000000\n' });
      assert.equal(notes.status, 400);
      assert.match((await notes.json()).error, /^line 1: /);
      const started = Date.now();
      const down = await fetch(`http://127.0.0.1:${httpPort + 2}/`, { method: 'POST', body: 'a.b 1 1700000000\na.c 2 1700000000\n' });
      assert.equal(down.status, 502);
      const body = await down.json();
      assert.equal(body.notDelivered, 2);
      assert.match(body.error, /not everything was written within 3000 ms/);
      assert.ok(Date.now() - started < 10000);
    });
  });

  describe('carbon killed and restarted 3 times during a stream', () => {
    for (const runtime of ['deno', 'bun']) {
      it(`${runtime}: nothing missing, nothing dropped`, async (t) => {
        const r = run(`rt.${runtime}.restarts`, 60000, 120, { mode: 'write', batch: 240, pauseMs: 30, options: { reconnectInitialDelay: 50, reconnectMaxDelay: 400 } });
        const d = drive(runtime, { ...r, port: carbon.port });
        for (let k = 0; k < 3; k++) {
          await sleep(1500);
          await carbon.kill();
          await sleep(700);
          await carbon.restart();
        }
        const done = await finished(d);
        assert.equal(done.stats.points, 60000);
        assert.equal(done.stats.dropped, 0);
        // stats.disconnects counts connections lost; 'disconnect' events also come for failed attempts.
        assert.ok(done.stats.disconnects >= 3, `${done.stats.disconnects} connections lost`);
        assert.ok(done.stats.replayedFrames > 0, 'frames sent again after reconnecting');
        await assertStored(carbon, r);
        t.diagnostic(`${runtime}: ${done.stats.disconnects} connections lost, ${done.events.disconnect - done.stats.disconnects} failed attempts, ${done.stats.replayedPoints} datapoints sent again`);
      });
    }
  });

  describe('the receiver down for 10 s while close() is pending (no timeout)', () => {
    it('Node, Deno and Bun stay alive without spinning, then deliver everything and exit 0', async (t) => {
      await carbon.kill();
      const runs = {};
      const drivers = {};
      for (const runtime of Object.keys(RUNTIMES)) {
        runs[runtime] = run(`rt.${runtime}.outage`, 5000, 50, { mode: 'close', options: { reconnectMaxDelay: 2000 } });
        drivers[runtime] = drive(runtime, { ...runs[runtime], port: carbon.port });
      }
      for (const d of Object.values(drivers)) await d.line((l) => l.waiting, 30000, 'the driver to queue its datapoints');
      await sleep(500); // start-up work (compiling, encoding) is done
      const cpu0 = Object.fromEntries(Object.entries(drivers).map(([k, d]) => [k, cpuSeconds(d.pid)]));
      const t0 = Date.now();
      await sleep(10000);
      const wall = (Date.now() - t0) / 1000;
      for (const [runtime, d] of Object.entries(drivers)) {
        const { exitCode } = { exitCode: d.lines.some((l) => l.done) ? 0 : null };
        assert.equal(exitCode, null, `${runtime} finished while the receiver was down`);
        const used = cpuSeconds(d.pid) - cpu0[runtime];
        t.diagnostic(`${runtime}: ${(used * 1000).toFixed(0)} ms of CPU in ${wall.toFixed(1)} s waiting (${((100 * used) / wall).toFixed(2)} %)`);
        assert.ok(used < 0.01 * wall, `${runtime} used ${used} s of CPU in ${wall} s`);
      }
      await carbon.restart();
      for (const [runtime, d] of Object.entries(drivers)) {
        const done = await finished(d, 60000);
        assert.equal(done.stats.points, 5000, runtime);
        await assertStored(carbon, runs[runtime]);
        t.diagnostic(`${runtime}: ${done.stats.points} of 5000 delivered after the outage, exit 0`);
      }
    });
  });

  describe('backpressure: a producer that waits for room', () => {
    it('Node: 1,000,000 datapoints through pipeFrom(), none dropped, peak memory bounded', async (t) => {
      // The bound comes from what a full queue needs: the same driver holding maxQueuedPoints (100,000)
      // datapoints while the receiver is down, measured here; plus 48 MiB for the replay window (4 MiB), the
      // socket's buffer and a running producer's garbage. (A producer that queued all 1,000,000 at once
      // would need about 400 MiB.)
      const full = drive('node', { port: await freePort(), prefix: 'rt.full', count: 100000, metrics: 1000, t0: nextT0, mode: 'close' });
      await full.line((l) => l.waiting, 30000, 'a full queue');
      await sleep(1000);
      const fullQueue = full.peakRss();
      full.kill();
      await full.exited;
      const bound = fullQueue + 48;
      const r = run('rt.node.pipe', 1000000, 1000, { mode: 'pipe', batch: 2000 });
      const started = Date.now();
      const d = drive('node', { ...r, port: carbon.port });
      const done = await finished(d, 300000);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(d.lines.find((l) => l.piped !== undefined)?.piped, 1000000);
      assert.equal(done.stats.points, 1000000);
      assert.equal(done.stats.dropped, 0);
      assert.equal(done.events.drop, 0);
      assert.ok(done.events.drain > 0, 'the producer waited for room');
      t.diagnostic(`peak RSS ${d.peakRss().toFixed(0)} MiB (a full queue of 100,000: ${fullQueue.toFixed(0)} MiB, bound ${bound.toFixed(0)} MiB); ${Math.round(1000000 / seconds)} datapoints/s written to carbon, process start included`);
      assert.ok(d.peakRss() < bound, `peak RSS ${d.peakRss()} MiB over ${bound} MiB`);
      await assertStored(carbon, r);
    });

    for (const [runtime, mode] of [['deno', 'write'], ['bun', 'drain'], ['deno', 'stream']]) {
      it(`${runtime}: 200,000 datapoints through ${mode === 'write' ? 'ready()' : mode === 'drain' ? "the 'drain' event" : 'writable() (Web Streams)'}, none dropped`, async (t) => {
        const r = run(`rt.${runtime}.${mode}`, 200000, 400, { mode, batch: 1000 });
        const d = drive(runtime, { ...r, port: carbon.port });
        const done = await finished(d, 180000);
        assert.equal(done.stats.points, 200000);
        assert.equal(done.stats.dropped, 0);
        if (mode !== 'stream') assert.ok(done.events.waits > 0, 'the producer waited for room');
        await assertStored(carbon, r);
        t.diagnostic(`${runtime} ${mode}: ${done.events.waits} waits, ${done.events.drain} drains, peak RSS ${d.peakRss().toFixed(0)} MiB`);
      });
    }

    it('Node: the receiver down for 5 s mid-stream: the producer waits idle, nothing lost or dropped', async (t) => {
      const r = run('rt.node.midstream', 200000, 400, { mode: 'write', batch: 1000, pauseMs: 2, options: { reconnectMaxDelay: 1000 } });
      const d = drive('node', { ...r, port: carbon.port });
      await d.line((l) => l.progress >= 40000, 60000, '40,000 datapoints written');
      await carbon.kill();
      await sleep(500);
      const cpu0 = cpuSeconds(d.pid);
      const queued = d.lines.length;
      await sleep(5000);
      const used = cpuSeconds(d.pid) - cpu0;
      assert.equal(d.lines.length, queued, 'no progress while carbon is down');
      t.diagnostic(`${(used * 1000).toFixed(0)} ms of CPU in 5 s waiting for room`);
      assert.ok(used < 0.05, `the waiting producer used ${used} s of CPU in 5 s`);
      await carbon.restart();
      const done = await finished(d, 120000);
      assert.equal(done.stats.points, 200000);
      assert.equal(done.stats.dropped, 0);
      assert.ok(done.stats.disconnects >= 1);
      await assertStored(carbon, r);
    });
  });

  describe('the CLI through npx, bunx and `deno run --allow-net npm:carbon-pickle`', () => {
    const cliRuntimes = {
      npx: ['npx', '--no-install', 'carbon-pickle'],
      bunx: [bin('bunx'), 'carbon-pickle'],
      deno: [bin('deno'), 'run', '--quiet', '--no-config', '--node-modules-dir=manual', '--no-prompt', '--allow-net', 'npm:carbon-pickle'],
    };
    const cli = (argv, args, input) =>
      new Promise((resolve) => {
        const p = spawn(argv[0], [...argv.slice(1), ...args], { cwd: scratch, env: DENO_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.stdout.resume();
        p.on('close', (code) => resolve({ code, stderr: err }));
        p.stdin.end(input);
      });
    for (const [name, argv] of Object.entries(cliRuntimes)) {
      it(`${name}: send delivers; a dead port with --timeout 2 exits 4 saying what was not delivered`, async () => {
        const r = run(`rt.cli.${name}`, 2000, 20);
        const lines = [];
        for (let i = 0; i < r.count; i++) lines.push(`${r.prefix}.m${i % r.metrics} ${i / 4} ${r.t0 + Math.floor(i / r.metrics)}`);
        const ok = await cli(argv, ['send', '--to', `127.0.0.1:${carbon.port}`], `${lines.join('\n')}\nnot a line at all\n`);
        assert.equal(ok.code, 1, ok.stderr); // the bad line
        assert.match(ok.stderr, /line 2001: expected "path value \[timestamp\]", got 5 fields/);
        assert.match(ok.stderr, /2000 datapoints written/);
        await assertStored(carbon, r);
        const dead = await freePort();
        const started = Date.now();
        const down = await cli(argv, ['send', '--to', `127.0.0.1:${dead}`, '--timeout', '2'], lines.slice(0, 10).join('\n'));
        assert.equal(down.code, 4, down.stderr);
        assert.ok(Date.now() - started < 10000);
        assert.match(down.stderr, /10 of 10 datapoints not delivered/);
      });
    }
  });
});
