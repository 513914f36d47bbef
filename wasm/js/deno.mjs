// Deno: the wasm is read from the package's own directory and compiled synchronously.
import { initSync } from '../pkg/web/carbon_pickle.js';
import * as raw from '../pkg/web/carbon_pickle.js';
import { createApi } from './api.mjs';

const { memory } = initSync({ module: Deno.readFileSync(new URL('../pkg/web/carbon_pickle_bg.wasm', import.meta.url)) });
const api = createApi(raw, memory);

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export default api;
