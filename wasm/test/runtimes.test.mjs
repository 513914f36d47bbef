// The packed tarball, installed into a scratch project as users install it, used from Node (require and
// import), Bun, Deno, Cloudflare's workerd and (in Deno) the browser build, each through the package's
// `exports` condition for it. Every
// runtime encodes the same datapoints three ways (encodeFrames, FrameEncoder, MetricSet) and prints the
// frames; CPython decodes them. (The TypeScript declarations: test/types.test.mjs.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { decodeFrames } from './support/carbon.mjs';
import { bin, DENO_ENV, installPacked, workerdModules } from './support/package.mjs';

const run = promisify(execFile);

const T = 1_700_000_000;
const POINTS = [
  { path: 'rt.cpu.user', value: 12.5, timestamp: T },
  { path: 'rt.küche.temp', value: -3.25, timestamp: T + 1 },
  { path: 'rt.big', value: 2 ** 53, timestamp: 3_000_000_000 },
  { path: 'rt.frac', value: 0.1, timestamp: T + 0.5 },
];
// What CPython must read back: encodeFrames with a prefix, FrameEncoder (protocol 0), MetricSet.
const EXPECTED = [
  ...POINTS.map((p) => [`KEY.${p.path}`, p.timestamp, p.value]),
  ...POINTS.map((p) => [p.path, p.timestamp, p.value]),
  ...POINTS.map((p, i) => [p.path, T + 60, i]),
];

// The same program for every runtime: only how it is loaded and how it prints differ.
const BODY = `
const POINTS = ${JSON.stringify(POINTS)};
function run(api) {
  const { encodeFrames, FrameEncoder, MetricSet } = api;
  const frames = [...encodeFrames(POINTS, { prefix: 'KEY' })];
  const enc = new FrameEncoder({ protocol: 0, maxPoints: 3 });
  for (const p of POINTS) frames.push(...enc.push(p));
  frames.push(...enc.flush());
  const set = new MetricSet(POINTS.map((p) => p.path));
  frames.push(...set.encode(new Float64Array(POINTS.map((_, i) => i)), ${T + 60}));
  let hex = '';
  for (const f of frames) for (const b of f) hex += b.toString(16).padStart(2, '0');
  return hex;
}
`;

let installed;
let scratch;
let tarball;

async function frames(hex) {
  const text = hex.trim().split('\n').find((l) => /^FRAMES [0-9a-f]+$/.test(l));
  assert.ok(text, `no FRAMES line in:\n${hex}`);
  return decodeFrames([Buffer.from(text.slice(7), 'hex')]);
}

describe('the packed package in every runtime', () => {
  before(async () => {
    installed = await installPacked('carbon-pickle-scratch-');
    ({ scratch, tarball } = installed);
  });

  after(() => {
    installed?.remove();
  });

  it('ships only what the files whitelist says', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
    // Every wasm module once, as a .wasm file that every runtime loads (no base64 copies), with its glue:
    // the encoder, and the module with every optional part (protocol 0, routing, the inspector, the lines).
    assert.deepEqual(files.filter((f) => f.startsWith('pkg/')), [
      'pkg/api.cjs',
      'pkg/client-core.cjs',
      'pkg/full-web/carbon_pickle.mjs',
      'pkg/full-web/carbon_pickle_bg.wasm',
      'pkg/web/carbon_pickle.mjs',
      'pkg/web/carbon_pickle_bg.wasm',
    ]);
    // js/api.mjs and js/client-core.mjs once: pkg/api.cjs and pkg/client-core.cjs load them.
    assert.ok(files.includes('js/api.mjs') && files.includes('js/client-core.mjs'));
    assert.ok(files.includes('types/index.d.ts') && files.includes('types/node.d.ts'));
    assert.ok(files.includes('bin/carbon-pickle.cjs'));
    for (const f of ['js/inspect.cjs', 'js/inspect.mjs', 'types/inspect.d.ts']) assert.ok(files.includes(f), `${f} is not in the tarball`);
    assert.deepEqual(files.filter((f) => /^(src|test|bench|scripts|node_modules)\/|Cargo|\.rs$/.test(f)), []);
  });

  it('Node: require()', async () => {
    writeFileSync(join(scratch, 'main.cjs'), `${BODY}
const api = require('carbon-pickle');
const { CarbonClient } = require('carbon-pickle/node');
if (typeof CarbonClient !== 'function') throw new Error('no CarbonClient');
console.log('FRAMES ' + run(api));`);
    const { stdout } = await run(process.execPath, ['main.cjs'], { cwd: scratch });
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('Node: import, sharing one instance with require()', async () => {
    writeFileSync(join(scratch, 'main.mjs'), `${BODY}
import * as api from 'carbon-pickle';
import { CarbonClient } from 'carbon-pickle/node';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('carbon-pickle');
if (cjs.FrameEncoder !== api.FrameEncoder) throw new Error('two instances');
if (typeof CarbonClient !== 'function') throw new Error('no CarbonClient');
console.log('FRAMES ' + run(api));`);
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: scratch });
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('Node without require() of ES modules (as Node 18, 20 before 20.19, 22 before 22.12): require() and import', async () => {
    // js/load.cjs compiles js/api.mjs, js/client-core.mjs and the glue itself there.
    writeFileSync(join(scratch, 'old.cjs'), `${BODY}
const api = require('carbon-pickle');
const { CarbonClient } = require('carbon-pickle/client');
const { CarbonRouter } = require('carbon-pickle/cluster');
const { inspect } = require('carbon-pickle/inspect');
if (typeof CarbonClient !== 'function' || typeof CarbonRouter !== 'function') throw new Error('no CarbonClient or CarbonRouter');
const frames = api.encodeFrames([{ path: 'a.b', value: 1, timestamp: 1 }]);
if (inspect(frames[0]).points !== 1) throw new Error('inspect');
console.log('FRAMES ' + run(api));`);
    for (const file of ['old.cjs', 'main.mjs']) {
      const { stdout, stderr } = await run(process.execPath, ['--no-experimental-require-module', file], { cwd: scratch });
      assert.equal(stderr, '');
      assert.deepEqual((await frames(stdout)).flat(), EXPECTED, file);
    }
  });

  it('Bun', async () => {
    const { stdout } = await run(bin('bun'), ['main.mjs'], { cwd: scratch });
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('Deno (the deno export, with no permission at all)', async () => {
    writeFileSync(join(scratch, 'deno.mjs'), `${BODY}
import * as api from 'carbon-pickle';
const entry = import.meta.resolve('carbon-pickle');
if (!entry.endsWith('/js/deno.mjs')) throw new Error('resolved ' + entry);
console.log('FRAMES ' + run(api));`);
    const { stdout } = await run(bin('deno'), ['run', '--quiet', '--no-config', '--node-modules-dir=manual', '--no-prompt', 'deno.mjs'], {
      cwd: scratch,
      env: DENO_ENV,
    });
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('the browser export (fetching the .wasm next to it), in Deno', async () => {
    // A bundler or a browser picks the `browser` condition; Deno runs that file the way a browser would
    // (fetch of a URL relative to import.meta.url, WebAssembly.instantiateStreaming).
    const pkgJson = JSON.parse(readFileSync(join(scratch, 'node_modules', 'carbon-pickle', 'package.json'), 'utf8'));
    const entry = join('node_modules', 'carbon-pickle', pkgJson.exports['.'].browser);
    writeFileSync(join(scratch, 'browser.mjs'), `${BODY}
import * as api from './${entry}';
// Protocol 0 is a module of its own there, fetched by enableProtocol0(): refused before it.
try { new api.FrameEncoder({ protocol: 0 }); console.log('PROTOCOL0 not refused'); } catch (e) { console.log('PROTOCOL0 ' + e.code); }
await api.enableProtocol0();
console.log('FRAMES ' + run(api));`);
    const { stdout, stderr } = await run(bin('deno'), ['run', '--quiet', '--no-config', '--node-modules-dir=manual', '--allow-read', 'browser.mjs'], {
      cwd: scratch,
      env: DENO_ENV,
    });
    assert.equal(stderr, '', 'no warning about the way the module was fetched');
    assert.match(stdout, /^PROTOCOL0 ERR_CARBON_PROTOCOL$/m);
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('workerd (the workerd export, the .wasm as a compiled module)', async () => {
    // As wrangler would: resolve 'carbon-pickle' with the workerd condition, and list every module the
    // entry reaches (the .wasm as a Wasm module) under its path.
    const pkgJson = JSON.parse(readFileSync(join(scratch, 'node_modules', 'carbon-pickle', 'package.json'), 'utf8'));
    const entry = join('node_modules', 'carbon-pickle', pkgJson.exports['.'].workerd);
    writeFileSync(join(scratch, 'worker.mjs'), `${BODY}
import * as api from './${entry}';
export default { async test() { console.log('FRAMES ' + run(api)); } };`);
    const modules = [`(name = "worker.mjs", esModule = embed "worker.mjs")`, ...workerdModules(scratch)];
    writeFileSync(join(scratch, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ] );
const w :Workerd.Worker = ( modules = [ ${modules.join(', ')} ], compatibilityDate = "2024-09-23" );
`);
    const { stdout } = await run(bin('workerd'), ['test', 'config.capnp'], { cwd: scratch });
    assert.deepEqual((await frames(stdout)).flat(), EXPECTED);
  });

  it('the CLI from node_modules/.bin', async () => {
    const p = run(join(scratch, 'node_modules', '.bin', 'carbon-pickle'), ['encode', '--quiet', '--prefix', 'K'], { cwd: scratch, encoding: 'buffer' });
    p.child.stdin.end('a.b 1 1700000000\n');
    const { stdout } = await p;
    assert.deepEqual(await decodeFrames([stdout]), [[['K.a.b', 1700000000, 1]]]);
    // inspect loads the inspector's module from the installed package.
    const { stdout: listing } = await run(join(scratch, 'node_modules', '.bin', 'carbon-pickle'), ['inspect', '--quiet', '--hex', stdout.toString('hex')], { cwd: scratch });
    assert.match(listing, /BINUNICODE 'K\.a\.b'/);
    assert.match(listing, /^  'K\.a\.b' 1700000000\.0 1\.0$/m);
  });
});
