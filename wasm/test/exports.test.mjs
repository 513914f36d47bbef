// Every entry point of the packed package (installed into a scratch project as users install it) exports the
// same names however it is loaded: Node's `import` and `require` (the same values), Bun's, Deno's, workerd's
// and the browser's entry points, each through its `exports` condition; an ES module's default export has
// those names too; and the client is an EventEmitter (the methods types/client.d.ts declares) in every
// runtime. test/types.test.mjs holds the TypeScript declarations to these names.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { ENTRIES, namesModule, parseNames } from './support/exports.mjs';
import { bin, DENO_ENV, installPacked, workerdModules } from './support/package.mjs';

const run = promisify(execFile);

let installed;
let scratch;
let pkgJson;
let reference; // Node's require(), entry -> names

/** Writes a program printing `NAMES {...}` for `entries` ([name, specifier] pairs). */
function writeProgram(file, entries, options) {
  writeFileSync(join(scratch, `${file}-names.mjs`), namesModule(entries, options));
  writeFileSync(join(scratch, file), `import { collect } from './${file}-names.mjs';\nconsole.log('NAMES ' + JSON.stringify(collect()));\n`);
}

/** Asserts that every entry of `got` has the reference names in every form it was loaded in. */
function assertSameNames(got, what) {
  for (const [entry, r] of Object.entries(got)) {
    const want = reference[entry];
    assert.deepEqual(r.import, want, `${what}: import * from '${entry}'`);
    assert.deepEqual(r.default, want, `${what}: the default export of '${entry}'`);
    if (r.require !== undefined) {
      assert.deepEqual(r.require, want, `${what}: require('${entry}')`);
      assert.deepEqual(r.differ, [], `${what}: '${entry}' import and require() give different values`);
    }
    if (r.lacks !== undefined) assert.deepEqual(r.lacks, [], `${what}: '${entry}' CarbonClient lacks EventEmitter methods`);
  }
}

/** [name, path] of the entries with a `condition` in package.json, as a bundler for it resolves them. */
function resolvedFor(condition) {
  const out = [];
  for (const entry of ENTRIES) {
    const target = pkgJson.exports[entry.replace(/^carbon-pickle/, '.')][condition];
    if (target) out.push([entry, `./${join('node_modules', 'carbon-pickle', target)}`]);
  }
  return out;
}

describe('every entry point exports the same names in every runtime', () => {
  before(async () => {
    installed = await installPacked('carbon-pickle-exports-');
    ({ scratch } = installed);
    pkgJson = JSON.parse(readFileSync(join(scratch, 'node_modules', 'carbon-pickle', 'package.json'), 'utf8'));
    writeProgram('node.mjs', ENTRIES.map((e) => [e, e]), { withRequire: true });
  });

  after(() => {
    installed?.remove();
  });

  it('Node: import and require() give the same names and values', async () => {
    const { stdout } = await run(process.execPath, ['node.mjs'], { cwd: scratch });
    const got = parseNames(stdout);
    reference = Object.fromEntries(Object.entries(got).map(([entry, r]) => [entry, r.require]));
    assert.deepEqual(Object.keys(got), ENTRIES);
    assert.deepEqual(reference['carbon-pickle/node'], reference['carbon-pickle/client'], "'carbon-pickle/node' is an alias");
    assert.ok(reference['carbon-pickle'].includes('encodeFrames') && reference['carbon-pickle/client'].includes('CarbonClient'));
    assertSameNames(got, 'Node');
  });

  it('Bun: import and require()', async () => {
    const { stdout } = await run(bin('bun'), ['node.mjs'], { cwd: scratch });
    assertSameNames(parseNames(stdout), 'Bun');
  });

  it('Deno (the deno exports, and Node\'s for carbon-pickle/inspect)', async () => {
    writeProgram('deno.mjs', ENTRIES.map((e) => [e, e]));
    const { stdout } = await run(bin('deno'), ['run', '--quiet', '--no-config', '--node-modules-dir=manual', '--no-prompt', 'deno.mjs'], {
      cwd: scratch,
      env: DENO_ENV,
    });
    const got = parseNames(stdout);
    assert.deepEqual(Object.keys(got), ENTRIES);
    assertSameNames(got, 'Deno');
  });

  it('workerd (the workerd exports: all but carbon-pickle/inspect, which is Node\'s)', async () => {
    const entries = resolvedFor('workerd');
    assert.deepEqual(entries.map(([e]) => e), ENTRIES.filter((e) => e !== 'carbon-pickle/inspect'));
    writeFileSync(join(scratch, 'worker-names.mjs'), namesModule(entries));
    writeFileSync(join(scratch, 'worker.mjs'), `import { collect } from './worker-names.mjs';
export default { async test() { console.log('NAMES ' + JSON.stringify(collect())); } };`);
    const modules = ['worker.mjs', 'worker-names.mjs'].map((f) => `(name = "${f}", esModule = embed "${f}")`);
    writeFileSync(join(scratch, 'names.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ] );
const w :Workerd.Worker = ( modules = [ ${[...modules, ...workerdModules(scratch)].join(', ')} ], compatibilityDate = "2024-09-23" );
`);
    const { stdout } = await run(bin('workerd'), ['test', 'names.capnp'], { cwd: scratch });
    assertSameNames(parseNames(stdout), 'workerd');
  });

  it('the browser export (carbon-pickle only), in Deno', async () => {
    const entries = resolvedFor('browser');
    assert.deepEqual(entries.map(([e]) => e), ['carbon-pickle']);
    writeProgram('browser.mjs', entries);
    const { stdout } = await run(bin('deno'), ['run', '--quiet', '--no-config', '--node-modules-dir=manual', '--allow-read', 'browser.mjs'], {
      cwd: scratch,
      env: DENO_ENV,
    });
    assertSameNames(parseNames(stdout), 'browser');
  });
});
