// Deno: the wasm module's bytes come from a generated module (base64 text), not from a file read, so that
// the package needs no --allow-read; the module is compiled synchronously.
import { initSync } from '../pkg/web/carbon_pickle.js';
import * as raw from '../pkg/web/carbon_pickle.js';
import wasmBase64 from '../pkg/web/carbon_pickle_bg.wasm.mjs';
import { createApi } from './api.mjs';
import { fromBase64 } from './base64.mjs';

const { memory } = initSync({ module: fromBase64(wasmBase64) });
const api = createApi(raw, memory);

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export default api;
