'use strict';
// `require('carbon-pickle/cluster')`, and CarbonClient({ destinations }) in Node and Bun: cluster placement
// (CarbonRouter) from its own wasm module (pkg/route-node, built with the cargo feature `route`). Carbon's
// ring keys are Python-formatted text, which brings core::fmt and a Unicode table into the module (about
// 34 KB); programs that do not route never load it.
const raw = require('../pkg/route-node/carbon_pickle.js');
const { createApi } = require('../pkg/api.cjs');

const { CarbonRouter } = createApi(raw, raw.__wasm.memory);

module.exports = { CarbonRouter };
