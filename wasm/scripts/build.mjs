#!/usr/bin/env node
// Builds the npm package's generated parts into pkg/. Every wasm module ships once, as a .wasm file, with
// wasm-bindgen's glue for ES modules (--target web) made a factory (scripts/glue.mjs): browsers fetch the
// .wasm, workerd imports it as a compiled module, Deno imports it with a source phase import (js/wasm-deno/),
// Node and Bun read it (js/load.cjs), all through the same glue. The modules are shrunk with binaryen's
// wasm-opt from npm (Debian's binaryen breaks wasm-bindgen output). Two modules:
//   pkg/web        the encoder, without protocol 0: what every program loads
//   pkg/full-web   the encoder with every optional part: protocol 0, cluster placement (`route`), the frame
//                  inspector (`inspect`) and the CLI's line reader (`lines`). Loaded the first time one of
//                  them is used. One module for all four, not one each: each would carry its own copy of
//                  the encoder, core::fmt and the allocator (four modules were 118 KB of the tarball
//                  gzipped, this one is 79 KB), and a program that uses one of them rarely minds 170 KB.
// pkg/api.cjs and pkg/client-core.cjs load js/api.mjs and js/client-core.mjs for `require` (js/load.cjs).
// Prints the .wasm sizes. Usage: node scripts/build.mjs [--dev] [--inspect]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeFactoryGlue } from './glue.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');
// Every module is built without the crate's default feature `protocol0` unless it is asked for: protocol 0's
// number text (7 KB) lives in a module of its own (pkg/p0-web), which the JavaScript loads the first time
// protocol 0 is used. The frame inspector (cargo feature `inspect`) is left out of the package's default
// build for size.
const only = (list) => ['--no-default-features', '--features', list];
const main = process.argv.includes('--inspect') ? 'standalone,inspect' : 'standalone';
const pkg = join(root, 'pkg');
const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
// What rustc's wasm32-unknown-unknown target emits by default, and SIMD; every runtime we support has them.
const FEATURES = [
  '--enable-bulk-memory',
  '--enable-multivalue',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-reference-types',
  '--enable-sign-ext',
  '--enable-simd',
];

// wasm's 128-bit SIMD, which every runtime the package supports has (Node >= 16.4, Deno, Bun, workerd,
// Chrome, Firefox, Safari >= 16.4): the core's path check uses it for paths of 17 bytes and more.
const RUSTFLAGS = [process.env.RUSTFLAGS, '-C target-feature=+simd128'].filter(Boolean).join(' ');

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, RUSTFLAGS } });
}

if (!existsSync(wasmOpt)) {
  console.error(`build: ${wasmOpt} is missing: run scripts/setup.sh (or npm ci in wasm/)`);
  process.exit(1);
}

const profile = dev ? ['--dev'] : ['--profile', 'wasm-release'];

// Builds one module into pkg/<dir>: its .wasm, and its glue as a factory (carbon_pickle.mjs). Returns its
// sizes and its glue.
function build(dir, features) {
  const out = join(pkg, dir);
  rmSync(out, { recursive: true, force: true });
  run('wasm-pack', ['--quiet', 'build', '--no-opt', '--no-pack', ...profile, '--target', 'web', '--out-dir', out, '--out-name', 'carbon_pickle', '--', ...features]);
  const wasm = join(out, 'carbon_pickle_bg.wasm');
  const rawSize = statSync(wasm).size;
  if (!dev) run(wasmOpt, ['-O3', '--converge', '--strip-debug', '--strip-producers', '--strip-target-features', ...FEATURES, wasm, '-o', wasm]);
  const bytes = readFileSync(wasm);
  const glue = writeFactoryGlue(out);
  for (const f of ['.gitignore', 'README.md', 'package.json', 'carbon_pickle.js', 'carbon_pickle.d.ts', 'carbon_pickle_bg.wasm.d.ts']) {
    rmSync(join(out, f), { force: true });
  }
  return { raw: rawSize, opt: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, glue };
}

// Old builds' directories (one per target and module, base64 copies of the modules).
for (const dir of ['node', 'p0-node', 'route-node', 'inspect-node', 'p0-web', 'route-web', 'inspect-web']) rmSync(join(pkg, dir), { recursive: true, force: true });

const sizes = {
  web: build('web', only(main)),
  full: build('full-web', only('standalone,protocol0,route,inspect,lines')),
};

// js/api.mjs and js/client-core.mjs ship once, as ES modules; pkg/api.cjs and pkg/client-core.cjs load them
// for `require` (js/load.cjs). Where a runtime cannot require() an ES module (Node before 20.19 and 22.12),
// js/load.cjs compiles the text instead, which needs no imports and only top-level `export function|const|class`.
for (const name of ['api', 'client-core']) {
  const text = readFileSync(join(root, 'js', `${name}.mjs`), 'utf8');
  const cjs = text.replace(/^export (function|const|class) /gm, '$1 ');
  if (/^\s*(export|import)\b|import\.meta/m.test(cjs)) throw new Error(`js/${name}.mjs has an import or export that older Node cannot load from CommonJS (js/load.cjs)`);
  writeFileSync(
    join(pkg, `${name}.cjs`),
    `'use strict';\n// Generated by scripts/build.mjs: js/${name}.mjs for \`require\` (the same module, see js/load.cjs).\nmodule.exports = require('../js/load.cjs').esm(require.resolve('../js/${name}.mjs'));\n`,
  );
}

const { glue, ...webSizes } = sizes.web;
writeFileSync(join(pkg, 'sizes.json'), JSON.stringify(webSizes, null, 2) + '\n');
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.error(`build: carbon_pickle_bg.wasm ${kb(sizes.web.raw)} from wasm-bindgen, ${kb(sizes.web.opt)} after wasm-opt, ${kb(sizes.web.gzip)} gzipped`);
console.error(`build: full-web/carbon_pickle_bg.wasm (with protocol 0, cluster placement, the frame inspector and the line reader) ${kb(sizes.full.opt)} after wasm-opt, ${kb(sizes.full.gzip)} gzipped`);
