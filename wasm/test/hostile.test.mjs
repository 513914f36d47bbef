// Hostile and strict receivers (issue 23): a frame the receiver refuses is dropped and counted instead of
// replayed for ever, timeouts mean what they say against a receiver that never reads, a receiver that
// talks back costs nothing, and turning TLS verification off takes an option that says so.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { startCarbon } from './support/carbon.mjs';
import { bin, DENO_ENV, pkgDir } from './support/package.mjs';
import { makeCertificates, startTlsTerminator } from './support/tls.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient, send } = require('../js/client.cjs');
const T0 = Math.floor(Date.now() / 1000) - 600;

/** A receiver that accepts connections and never reads a byte: the client's writes fill the buffers. */
async function deafReceiver() {
  const sockets = new Set();
  const server = net.createServer((c) => {
    c.pause();
    sockets.add(c);
    c.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close() {
      for (const c of sockets) c.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

function runScript(cmd, args, env = DENO_ENV) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }));
  });
}

describe('hostile and strict receivers', () => {
  let carbon;
  let scratch;
  before(async () => {
    carbon = await startCarbon();
    scratch = mkdtempSync(join(tmpdir(), 'carbon-pickle-hostile-'));
  });
  after(async () => {
    await carbon?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('maxBytes above carbon\'s 1 MiB needs receiverMaxBytes, which says the receiver takes more', () => {
    assert.throws(() => new CarbonClient({ maxBytes: 8 << 20 }), (e) => e.code === 'ERR_CARBON_OPTIONS' && /receiverMaxBytes/.test(e.message));
    assert.doesNotThrow(() => new CarbonClient({ maxBytes: 8 << 20, receiverMaxBytes: 64 << 20 }).destroy());
  });

  it('a frame carbon refuses (over its 1 MiB) is dropped as poison and counted; everything after it is stored', async () => {
    // The caller claims the receiver takes 8 MiB; carbon 1.1.10 takes 1 MiB and closes the connection.
    const client = new CarbonClient({ port: carbon.port, maxBytes: 8 << 20, receiverMaxBytes: 8 << 20, maxPoints: 100000, flushInterval: 0, warnings: false });
    const drops = [];
    client.on('drop', (d) => drops.push(d));
    const big = Array.from({ length: 20000 }, (_, i) => ({ path: `poison.big.${'x'.repeat(60)}.m${i}`, value: i, timestamp: T0 }));
    client.writeMany(big);
    await client.flush({ timeout: 60000 }); // written once: the kernel took it; carbon then closes
    for (let i = 0; i < 120; i++) {
      client.send(`poison.after.m${i % 12}`, i, T0 + Math.floor(i / 12));
      if (i % 12 === 11) await client.flush({ timeout: 60000 });
    }
    const t0 = Date.now();
    await client.close({ timeout: 60000 });
    assert.ok(Date.now() - t0 < 30000, `close took ${Date.now() - t0} ms`);
    assert.equal(drops.length, 1, JSON.stringify(drops.map(({ frame, ...d }) => d)));
    assert.equal(drops[0].reason, 'poison');
    assert.equal(drops[0].points, 20000);
    assert.ok(drops[0].frame.length > 1048580, `the frame: ${drops[0].frame.length} bytes`);
    const s = client.stats;
    assert.equal(s.poisonedFrames, 1);
    assert.equal(s.poisonedPoints, 20000);
    assert.equal(s.dropped, 20000);
    await carbon.wait(120, 60, 'poison.after.');
    const dump = await carbon.dump('poison.');
    assert.equal(Object.keys(dump).filter((k) => k.startsWith('poison.big.')).length, 0);
    assert.equal(Object.values(dump).reduce((n, p) => n + p.length, 0), 120);
  });

  it('without a drop listener, the poison frame is reported on stderr once', async () => {
    const file = join(scratch, 'poison.mjs');
    writeFileSync(file, `import { CarbonClient } from '${pathToFileURL(join(pkgDir, 'js', 'client.mjs')).href}';
const client = new CarbonClient({ port: ${carbon.port}, maxBytes: 4 << 20, receiverMaxBytes: 4 << 20, maxPoints: 50000 });
client.writeMany(Array.from({ length: 15000 }, (_, i) => ({ path: 'poison.cli.${'y'.repeat(60)}.m' + i, value: i })));
await client.flush();
client.send('poison.cli.after', 1);
await client.close();
console.log(client.stats.poisonedPoints);
`);
    const r = await runScript(process.execPath, [file], process.env);
    assert.equal(r.stdout.trim(), '15000', r.stderr);
    assert.equal(r.stderr.match(/dropped it as poison/g)?.length, 1, r.stderr);
  });

  for (const runtime of ['Node', 'Deno', 'Bun']) {
    it(`${runtime}: close({ timeout: 1000 }) against a receiver that never reads ends within 2 s`, async () => {
      const deaf = await deafReceiver();
      try {
        const client = runtime === 'Deno' ? 'client-deno.mjs' : 'client.mjs';
        const file = join(scratch, `deaf-${runtime}.mjs`);
        writeFileSync(file, `import { CarbonClient, send } from '${pathToFileURL(join(pkgDir, 'js', client)).href}';
const client = new CarbonClient({ port: ${deaf.port}, warnings: false, maxQueuedPoints: 1000000 });
const points = Array.from({ length: 300000 }, (_, i) => ({ path: 'deaf.m' + (i % 1000), value: i }));
client.writeMany(points);
let t0 = Date.now();
const err = await client.close({ timeout: 1000 }).catch((e) => e);
const closeMs = Date.now() - t0;
t0 = Date.now();
const err2 = await send(points, { port: ${deaf.port}, timeout: 1000 }).catch((e) => e);
console.log(JSON.stringify({ closeMs, code: err?.code, notDelivered: err?.notDelivered, sendMs: Date.now() - t0, sendCode: err2?.code, sendNot: err2?.notDelivered }));
`);
        const cmd = { Node: process.execPath, Deno: bin('deno'), Bun: bin('bun') }[runtime];
        const args = runtime === 'Deno' ? ['run', '--quiet', '--no-config', '--allow-net', file] : [file];
        const r = await runScript(cmd, args);
        const o = JSON.parse(r.stdout.trim() || '{}');
        assert.ok(o.closeMs >= 900 && o.closeMs < 2000, `close: ${r.stdout} ${r.stderr}`);
        assert.equal(o.code, 'ETIMEDOUT');
        assert.ok(o.notDelivered > 0 && o.notDelivered <= 300000, r.stdout);
        assert.ok(o.sendMs >= 900 && o.sendMs < 2000, `send: ${r.stdout}`);
        assert.equal(o.sendCode, 'ETIMEDOUT');
        assert.ok(o.sendNot > 0);
      } finally {
        await deaf.close();
      }
    });
  }

  it('a receiver that sends bytes back: the connection ends with ERR_CARBON_PROTOCOL, at no CPU cost', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let floods = 0;
    const server = net.createServer((c) => {
      floods += 1;
      c.on('error', () => {});
      const pump = () => {
        while (!c.destroyed && c.write(chunk));
        if (!c.destroyed) c.once('drain', pump);
      };
      pump();
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const client = new CarbonClient({ port: server.address().port, warnings: false, reconnectInitialDelay: 100, reconnectMaxDelay: 400 });
    const errors = [];
    client.on('disconnect', (e) => e && errors.push(e));
    const cpu0 = process.cpuUsage();
    client.send('talkback.a', 1);
    const flushed = client.flush({ timeout: 2000 }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 2000));
    const cpu = process.cpuUsage(cpu0);
    await flushed;
    client.destroy();
    server.close();
    assert.ok(errors.length >= 1);
    assert.equal(errors[0].code, 'ERR_CARBON_PROTOCOL');
    assert.match(errors[0].message, /sent \d+ bytes: a carbon pickle receiver never sends any/);
    const ms = (cpu.user + cpu.system) / 1000;
    assert.ok(ms < 600, `the client spent ${ms} ms of CPU in 2 s against ${floods} floods`);
  });

  it('TLS: rejectUnauthorized: false is refused; insecureSkipVerify connects to an unknown CA and warns once', async () => {
    const certs = makeCertificates(scratch);
    const tls = await startTlsTerminator(certs, carbon.port);
    try {
      assert.throws(() => new CarbonClient({ port: tls.port, tls: { rejectUnauthorized: false } }), (e) => e.code === 'ERR_CARBON_OPTIONS' && /insecureSkipVerify/.test(e.message));
      const file = join(scratch, 'insecure.mjs');
      writeFileSync(file, `import { CarbonClient } from '${pathToFileURL(join(pkgDir, 'js', 'client.mjs')).href}';
const client = new CarbonClient({ port: ${tls.port}, tls: true, insecureSkipVerify: true, prefix: 'SECRET-KEY' });
client.send('insecure.m', 1, ${T0});
await client.close();
console.log(client.stats.points);
`);
      const r = await runScript(process.execPath, [file], process.env);
      assert.equal(r.stdout.trim(), '1', r.stderr);
      assert.equal(r.stderr.match(/TLS certificate verification is off/g)?.length, 1, r.stderr);
      assert.ok(!r.stderr.includes('SECRET-KEY'));
      await carbon.wait(1, 60, 'SECRET-KEY.insecure.m');
      // Without it, the unknown CA is refused as before.
      const strict = new CarbonClient({ port: tls.port, tls: true, warnings: false });
      strict.send('insecure.m', 2, T0);
      const err = await strict.close({ timeout: 1500 }).catch((e) => e);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.match(err.message, /certificate/i);
    } finally {
      await tls.close();
    }
  });
});
