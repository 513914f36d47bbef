'use strict';
// `require('carbon-pickle/cluster')`, and CarbonClient({ destinations }) in Node and Bun: cluster placement
// (CarbonRouter) from the module with every optional part (pkg/full-web, cargo feature `route` among
// them). Carbon's ring keys are Python-formatted text, which brings core::fmt and a Unicode table into the
// module (about 34 KB); programs that do not route never load it.
const { instantiate } = require('./load.cjs');
const { createApi } = require('../pkg/api.cjs');

const { raw, memory } = instantiate('full-web');
const { CarbonRouter } = createApi(raw, memory);

module.exports = { CarbonRouter };
