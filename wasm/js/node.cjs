'use strict';
// Node's `require('carbon-pickle')`: the wasm module loaded synchronously from disk (wasm-bindgen's nodejs
// build). node.mjs re-exports this same instance, so `import` and `require` share one module and one heap.
// Protocol 0 lives in a module of its own (pkg/p0-node, 7 KB more wasm), required the first time it is used.
const raw = require('../pkg/node/carbon_pickle.js');
const { createApi } = require('../pkg/api.cjs');

let p0 = null;
function protocol0() {
  if (p0 === null) {
    const rawP0 = require('../pkg/p0-node/carbon_pickle.js');
    p0 = createApi(rawP0, rawP0.__wasm.memory);
  }
  return p0;
}

module.exports = Object.freeze({
  ...createApi(raw, raw.__wasm.memory, { protocol0 }),
  /** Protocol 0 loads by itself in Node; this resolves at once (it exists for code shared with browsers). */
  enableProtocol0: async () => void protocol0(),
});
