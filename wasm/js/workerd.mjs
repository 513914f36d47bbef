// Cloudflare workerd (and wrangler bundles): importing a .wasm file gives a compiled WebAssembly.Module,
// which is instantiated synchronously (workers may not fetch their own code at start-up).
import wasmModule from '../pkg/web/carbon_pickle_bg.wasm';
import { initSync } from '../pkg/web/carbon_pickle.js';
import * as raw from '../pkg/web/carbon_pickle.js';
import { createApi } from './api.mjs';

const { memory } = initSync({ module: wasmModule });
const api = createApi(raw, memory);

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export default api;
