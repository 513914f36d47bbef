'use strict';
// Node's `require('carbon-pickle')`: the wasm module loaded synchronously from disk (wasm-bindgen's nodejs
// build). node.mjs re-exports this same instance, so `import` and `require` share one module and one heap.
const raw = require('../pkg/node/carbon_pickle.js');
const { createApi } = require('../pkg/api.cjs');

module.exports = createApi(raw, raw.__wasm.memory);
