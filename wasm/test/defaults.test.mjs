// The client's defaults, as a Node (Deno, Bun) user expects them: close() and flush() give up after 30 s
// and say why; a script that never calls close() still delivers (or says it did not); an unreachable
// receiver is reported once per outage; an option typo is refused with the option it meant. Each
// behaviour runs in a process of its own, as a user's script would, against the real carbon; the
// failures that need no network at all (DNS, Deno's permission) run in a network namespace made here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { startCarbon } from './support/carbon.mjs';
import { bin, DENO_ENV, pkgDir } from './support/package.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient } = require('../js/client.cjs');
const { encodeFrames } = require('../js/node.cjs');
const NODE_CLIENT = pathToFileURL(join(pkgDir, 'js', 'client.mjs')).href;
const DENO_CLIENT = pathToFileURL(join(pkgDir, 'js', 'client-deno.mjs')).href;

/** Runs a script; resolves { code, stdout, stderr, ms } whatever its exit status. */
function runScript(cmd, args, { timeout = 60000, env = process.env } = {}) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, env, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

let n = 0;
function script(text, ext = 'mjs') {
  const file = join(tmpdir(), `carbon-pickle-defaults-${process.pid}-${++n}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** A port nothing listens on (bound, then closed). */
async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

describe('client defaults', () => {
  let carbon;
  let dead;
  before(async () => {
    carbon = await startCarbon();
    dead = await deadPort();
  });
  after(async () => {
    await carbon?.stop();
  });

  it('close() with no timeout against a dead port rejects after the default 30 s, with code, count and cause', async () => {
    const client = new CarbonClient({ port: dead, warnings: false });
    client.send('defaults.dead', 1);
    client.send('defaults.dead', 2);
    const t0 = Date.now();
    const err = await client.close().then(() => null, (e) => e);
    const ms = Date.now() - t0;
    assert.ok(err, 'close() rejected');
    assert.ok(ms >= 29000 && ms < 45000, `rejected after ${ms} ms`);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.notDelivered, 2);
    assert.equal(err.cause?.code, 'ECONNREFUSED');
    assert.match(err.message, new RegExp(`2 datapoints not delivered to 127\\.0\\.0\\.1:${dead}; last error: connect ECONNREFUSED`));
  });

  it('flush({ timeout }) and the timeout option override the default; Infinity is accepted', async () => {
    const client = new CarbonClient({ port: dead, timeout: 300, warnings: false });
    client.send('defaults.dead', 1);
    const t0 = Date.now();
    const err = await client.flush().then(() => null, (e) => e);
    assert.equal(err?.code, 'ETIMEDOUT');
    assert.ok(Date.now() - t0 < 5000);
    const err2 = await client.flush({ timeout: 100 }).then(() => null, (e) => e);
    assert.equal(err2?.code, 'ETIMEDOUT');
    assert.match(err2.message, /within 100 ms/);
    assert.throws(() => client.flush({ timout: 5 }), { name: 'TypeError', code: 'ERR_CARBON_OPTIONS' });
    client.destroy();
    assert.doesNotThrow(() => new CarbonClient({ timeout: Infinity }).destroy());
  });

  it('option typos and bad values are refused with ERR_CARBON_OPTIONS, naming the nearest option', () => {
    assert.throws(() => new CarbonClient({ too: 'graphite:2004' }), (e) => e instanceof TypeError && e.code === 'ERR_CARBON_OPTIONS' && /unknown option "too"; did you mean "to"\?/.test(e.message));
    assert.throws(() => new CarbonClient({ flushInteval: 10 }), /did you mean "flushInterval"/);
    assert.throws(() => new CarbonClient({ maxPoints: 0 }), { name: 'RangeError', code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new CarbonClient({ protocol: 1 }), { name: 'RangeError', code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new CarbonClient({ protocol: '2' }), (e) => e.code === 'ERR_CARBON_OPTIONS' && /not "2"/.test(e.message));
    assert.throws(() => new CarbonClient({ to: 'nohostport' }), { code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new CarbonClient({ port: 'x' }), { name: 'TypeError', code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new CarbonClient({ warnings: 'no' }), { code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => new CarbonClient({ to: '127.0.0.1:1', port: 2 }), { code: 'ERR_CARBON_OPTIONS' });
    assert.throws(() => encodeFrames([], { protcol: 0 }), /unknown option "protcol"; did you mean "protocol"/);
  });

  it('every encoder error has a code; paths are quoted to 200 characters; milliseconds get a hint; 4,000 bytes is the path limit', () => {
    const code = (f) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      assert.fail('did not throw');
    };
    assert.equal(code(() => encodeFrames('a.b 1 2')).code, 'ERR_INVALID_ARG_TYPE');
    assert.equal(code(() => encodeFrames({ paths: ['a', 'b'], values: [1], timestamps: 1 })).code, 'ERR_CARBON_INPUT');
    assert.equal(code(() => encodeFrames([{ path: 'a', value: 1, timestamp: '1700000000' }])).code, 'ERR_INVALID_ARG_TYPE');
    const ms = code(() => encodeFrames([{ path: 'a', value: 1, timestamp: Date.now() }]));
    assert.equal(ms.code, 'ERR_CARBON_TIMESTAMP');
    assert.match(ms.message, /looks like milliseconds/);
    const long = `a.${'b'.repeat(2000000)}`;
    const big = code(() => encodeFrames([{ path: long, value: 1 }]));
    assert.equal(big.code, 'ERR_CARBON_INVALID_PATH');
    assert.ok(big.message.length < 400, `message of ${big.message.length} characters`);
    assert.match(big.message, /path is 2000002 bytes long, prefix included \(at most 4000/);
    const secret = 'SECRET-API-KEY';
    const pre = code(() => encodeFrames([{ path: 'a', value: 1 }], { prefix: `${secret}..x` }));
    assert.equal(pre.code, 'ERR_CARBON_INVALID_PREFIX');
    assert.ok(!pre.message.includes(secret), pre.message);
  });

  it('a Node script that never calls close() still delivers, then exits by itself', async () => {
    const file = script(`import { CarbonClient } from '${NODE_CLIENT}';
const client = new CarbonClient({ port: ${carbon.port} });
client.send('defaults.noclose.node', 42);
console.log('sent');
`);
    const r = await runScript(process.execPath, [file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.ms < 10000, `exited after ${r.ms} ms`);
    await carbon.wait(1, 60, 'defaults.noclose.node');
    assert.deepEqual((await carbon.dump('defaults.noclose.node'))['defaults.noclose.node'].map((p) => p[1]), [42]);
  });

  it('a script whose receiver is down says how many datapoints it leaves undelivered, and why', async () => {
    const file = script(`const { CarbonClient } = require(${JSON.stringify(join(pkgDir, 'js', 'client.cjs'))});
const client = new CarbonClient({ port: ${dead}, timeout: 1500 });
for (let i = 0; i < 7; i++) client.send('defaults.noclose.dead', i);
`, 'cjs');
    const r = await runScript(process.execPath, [file]);
    assert.equal(r.code, 0);
    assert.ok(r.ms < 10000, `exited after ${r.ms} ms`);
    // One outage warning, then the failed delivery at exit: never silence, never a hang.
    assert.equal(r.stderr.match(/cannot reach/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /7 datapoints not delivered to 127\.0\.0\.1:\d+; last error: connect ECONNREFUSED/);
  });

  it('process.exit() with datapoints queued writes one line with the count', async () => {
    const file = script(`import { CarbonClient } from '${NODE_CLIENT}';
const client = new CarbonClient({ port: ${dead}, warnings: false });
client.send('a.b', 1); client.send('a.b', 2); client.send('a.b', 3);
process.exit(0);
`);
    const r = await runScript(process.execPath, [file]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^carbon-pickle: the process exits with 3 datapoints not delivered to 127\.0\.0\.1:\d+\n$/);
  });

  it('an outage is reported once by default, not at all with a disconnect listener or warnings: false', async () => {
    const body = (extra, opts = '') => script(`import { CarbonClient } from '${NODE_CLIENT}';
const client = new CarbonClient({ port: ${dead}, reconnectInitialDelay: 20, reconnectMaxDelay: 50${opts} });
${extra}
client.send('a.b', 1);
const err = await client.close({ timeout: 1000 }).catch((e) => e);
console.log(err.code, err.notDelivered);
`);
    const plain = await runScript(process.execPath, [body('')]);
    assert.equal(plain.stdout.trim(), 'ETIMEDOUT 1');
    assert.equal(plain.stderr.match(/CarbonPickleWarning: carbon-pickle: cannot reach 127\.0\.0\.1:\d+: connect ECONNREFUSED/g)?.length, 1, plain.stderr);
    const listening = await runScript(process.execPath, [body("let n = 0; client.on('disconnect', () => n++);")]);
    assert.equal(listening.stdout.trim(), 'ETIMEDOUT 1');
    assert.doesNotMatch(listening.stderr, /cannot reach/);
    const quiet = await runScript(process.execPath, [body('', ', warnings: false')]);
    assert.doesNotMatch(quiet.stderr, /cannot reach/);
  });

  it('a failed DNS lookup (a namespace with no network) rejects close() naming ENOTFOUND', async () => {
    const file = script(`import { CarbonClient } from '${NODE_CLIENT}';
const client = new CarbonClient({ to: 'carbon.invalid:2004', timeout: 2000, warnings: false });
client.send('a.b', 1);
const err = await client.close().catch((e) => e);
console.log(err.code, err.notDelivered, err.cause?.code, /ENOTFOUND|EAI_AGAIN/.test(err.message));
`);
    const r = await runScript('unshare', ['--net', process.execPath, file]);
    assert.match(r.stdout.trim(), /^ETIMEDOUT 1 (ENOTFOUND|EAI_AGAIN) true$/, r.stderr);
  });

  it('Deno without --allow-net: close() rejects at once with ERR_CARBON_PERMISSION, not a retry loop', async () => {
    const file = script(`import { CarbonClient } from '${DENO_CLIENT}';
const client = new CarbonClient({ port: ${dead} });
client.send('a.b', 1);
const t0 = Date.now();
const err = await client.close().catch((e) => e);
console.log(err.code, err.notDelivered, err.cause?.name, Date.now() - t0 < 5000);
`);
    const r = await runScript(bin('deno'), ['run', '--quiet', '--no-prompt', '--no-config', file], { env: DENO_ENV });
    assert.equal(r.stdout.trim(), 'ERR_CARBON_PERMISSION 1 NotCapable true', r.stderr);
  });

  for (const [runtime, cmd, args, client] of [
    ['Deno', () => bin('deno'), ['run', '--quiet', '--no-config', '--allow-net'], DENO_CLIENT],
    ['Bun', () => bin('bun'), [], NODE_CLIENT],
  ]) {
    it(`${runtime}: a script that never calls close() still delivers, then exits`, async () => {
      const path = `defaults.noclose.${runtime.toLowerCase()}`;
      const file = script(`import { CarbonClient } from '${client}';
const client = new CarbonClient({ port: ${carbon.port} });
client.send('${path}', 7);
`);
      const r = await runScript(cmd(), [...args, file], { env: DENO_ENV });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.ms < 15000, `exited after ${r.ms} ms`);
      await carbon.wait(1, 60, path);
      assert.deepEqual((await carbon.dump(path))[path].map((p) => p[1]), [7]);
    });
  }
});
