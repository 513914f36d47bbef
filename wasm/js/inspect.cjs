'use strict';
// `require('carbon-pickle/inspect')` and the CLI's `inspect`: the frame inspector from its own wasm module
// (pkg/inspect-web, built with the cargo feature `inspect`). It is a separate module so that the main one
// stays small; nothing else loads it.
const { instantiate } = require('./load.cjs');
const { createApi } = require('../pkg/api.cjs');

const { raw, memory } = instantiate('inspect-web');
const { inspect } = createApi(raw, memory);

// Captured bytes as people paste them: hex digits with any spacing, `0x` or `\x` prefixes, commas, colons
// or semicolons between bytes (the demo page's "paste frames" reads them the same way).
function parseHex(text) {
  const digits = String(text).trim().replace(/0x|\\x/gi, ' ').replace(/[\s,:;]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw new SyntaxError(`not hex: ${JSON.stringify(bad[0])}`);
  if (digits.length % 2) throw new SyntaxError(`an odd number of hex digits (${digits.length})`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

module.exports = { inspect, parseHex };
