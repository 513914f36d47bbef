'use strict';
// How the CommonJS entry points (Node and Bun; Deno when it runs the CLI or `require`s the package) load
// the package's ES modules and wasm modules. Each ships once, in the form browsers, Deno and workerd use too.
//
// - esm(file): js/api.mjs, js/client-core.mjs and the wasm glue (pkg/*/carbon_pickle.mjs) are ES modules
//   without imports that export only top-level declarations. require() loads them where the runtime can
//   (Node >= 20.19 and >= 22.12, Bun, Deno); older Node compiles their text as a function instead.
// - instantiate(dir): the wasm module of pkg/<dir>, instantiated with its glue. Node and Bun read the .wasm;
//   Deno imports it as a compiled module (js/wasm-deno/<dir>.mjs, a source phase import), so that the CLI
//   and `require` still need no --allow-read there. A module is compiled once per process; each call makes
//   an instance of its own (its own memory), as each user of pkg/full-web (protocol 0, routing, the
//   inspector, the line reader) wants.

const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');

const pkg = join(__dirname, '..', 'pkg');
const loaded = new Map(); // file -> exports, where require() cannot load an ES module
/** pkg/<dir> -> the first instance made of its module, { raw, memory } (the tests read its memory). */
const instances = new Map();
/** pkg/<dir> -> its compiled WebAssembly.Module. */
const modules = new Map();

function esm(file) {
  try {
    return require(file);
  } catch (err) {
    if (err.code !== 'ERR_REQUIRE_ESM') throw err;
  }
  let exports = loaded.get(file);
  if (exports === undefined) {
    const text = readFileSync(file, 'utf8');
    const names = [...text.matchAll(/^export (?:function|const|class) (\w+)/gm)].map((m) => m[1]);
    const body = text.replace(/^export (function|const|class) /gm, '$1 ');
    if (/^\s*(export|import)\b|import\.meta/m.test(body)) throw new Error(`${file}: not an ES module this runtime can load from CommonJS`);
    exports = vm.runInThisContext(`(function () { 'use strict';\n${body}\nreturn { ${names.join(', ')} };\n})`, { filename: file })();
    loaded.set(file, exports);
  }
  return exports;
}

/** pkg/<dir>'s compiled module. */
function compiled(dir) {
  let module = modules.get(dir);
  if (module === undefined) {
    // Not a string literal: bundlers for Node must not follow it (Deno's syntax).
    module = process.versions.deno === undefined ? new WebAssembly.Module(readFileSync(join(pkg, dir, 'carbon_pickle_bg.wasm'))) : require(`./wasm-deno/${dir}.mjs`).default;
    modules.set(dir, module);
  }
  return module;
}

/** Instantiates pkg/<dir>'s wasm module with its glue: { raw (the bindings), memory }. */
function instantiate(dir) {
  const raw = esm(join(pkg, dir, 'carbon_pickle.mjs')).createGlue();
  const { memory } = raw.initSync({ module: compiled(dir) });
  if (!instances.has(dir)) instances.set(dir, { raw, memory });
  return { raw, memory };
}

module.exports = { esm, instantiate, instances };
