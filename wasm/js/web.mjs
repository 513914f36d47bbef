// Browsers and bundlers: the wasm is fetched next to the glue (`new URL(..., import.meta.url)`, which
// bundlers understand) and instantiated before the module's exports are available (top-level await).
import init, * as raw from '../pkg/web/carbon_pickle.js';
import { createApi } from './api.mjs';

const { memory } = await init({ module_or_path: new URL('../pkg/web/carbon_pickle_bg.wasm', import.meta.url) });
const api = createApi(raw, memory);

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export default api;
