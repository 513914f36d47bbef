// Deno: the wasm module's bytes come from a generated module (base64 text), not from a file read, so that
// the package needs no --allow-read; the module is compiled synchronously. Protocol 0's module (pkg/p0-web)
// is compiled the first time protocol 0 is used.
import { initSync } from '../pkg/web/carbon_pickle.js';
import * as raw from '../pkg/web/carbon_pickle.js';
import wasmBase64 from '../pkg/web/carbon_pickle_bg.wasm.mjs';
import * as rawP0 from '../pkg/p0-web/carbon_pickle.js';
import p0Base64 from '../pkg/p0-web/carbon_pickle_bg.wasm.mjs';
import { createApi } from './api.mjs';
import { fromBase64 } from './base64.mjs';

const { memory } = initSync({ module: fromBase64(wasmBase64) });

let p0 = null;
function protocol0() {
  if (p0 === null) p0 = createApi(rawP0, rawP0.initSync({ module: fromBase64(p0Base64) }).memory);
  return p0;
}

/** Protocol 0 loads by itself on Deno; this resolves at once (it exists for code shared with browsers). */
const enableProtocol0 = async () => void protocol0();
const api = Object.freeze({ ...createApi(raw, memory, { protocol0 }), enableProtocol0 });

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export { enableProtocol0 };
export default api;
