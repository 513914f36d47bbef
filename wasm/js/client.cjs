'use strict';
// `require('carbon-pickle/client')` in Node: CarbonClient over node:net / node:tls, and the one-shot send().
// The client itself (queue, replay window, reconnects, backpressure) is js/client-core.mjs, shared by every
// runtime; pkg/client-core.cjs loads it for `require` (js/load.cjs).

const { EventEmitter } = require('node:events');
const { FrameEncoder } = require('./node.cjs');
const { createCarbonClient, createSend, parseDestination, parseTarget } = require('../pkg/client-core.cjs');
const { checkOptionNames, tagPath } = require('../pkg/api.cjs');
const transport = require('./transport-node.cjs');
const lifecycle = require('./lifecycle-node.cjs');

// Cluster placement lives in a wasm module of its own, loaded only by a client given `destinations`.
const loadRouter = () => require('./route.cjs').CarbonRouter;
const CarbonClient = createCarbonClient({ FrameEncoder, transport, EventBase: EventEmitter, loadRouter, checkOptionNames, lifecycle, tagPath });
const send = createSend(CarbonClient);

module.exports = { CarbonClient, send, parseTarget, parseDestination };
