'use strict';
// Node's `require('carbon-pickle')` (Bun's too, and Deno's when it runs the CLI): the encoder's wasm module
// instantiated synchronously with its glue (see js/load.cjs). node.mjs re-exports this same instance, so
// `import` and `require` share one module and one heap. Protocol 0 lives in the module with every optional
// part (pkg/full-web), instantiated the first time it is used.
const { instantiate } = require('./load.cjs');
const { createApi } = require('../pkg/api.cjs');

const { raw, memory } = instantiate('web');

let p0 = null;
function protocol0() {
  if (p0 === null) {
    const m = instantiate('full-web');
    p0 = createApi(m.raw, m.memory);
  }
  return p0;
}

module.exports = Object.freeze({
  ...createApi(raw, memory, { protocol0 }),
  /** Protocol 0 loads by itself in Node; this resolves at once (it exists for code shared with browsers). */
  enableProtocol0: async () => void protocol0(),
});
