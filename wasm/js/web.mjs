// Browsers and bundlers: the wasm is fetched next to the glue (`new URL(..., import.meta.url)`, which
// bundlers understand) and instantiated before the module's exports are available (top-level await).
// Protocol 0 lives in the module with every optional part (pkg/full-web), fetched with its glue by
// `await enableProtocol0()`: a page that never uses protocol 0 never downloads either.
import { createGlue } from '../pkg/web/carbon_pickle.mjs';
import { createApi } from './api.mjs';

const raw = createGlue();
const { memory } = await raw.init({ module_or_path: new URL('../pkg/web/carbon_pickle_bg.wasm', import.meta.url) });

let p0 = null;
let loading = null;
function protocol0() {
  if (p0 === null) {
    const err = new RangeError("protocol 0 is in a module of its own in browsers: `await enableProtocol0()` once before using it");
    err.code = 'ERR_CARBON_PROTOCOL';
    throw err;
  }
  return p0;
}

/** Fetches and instantiates the protocol-0 module; protocol 0 works once this resolves. */
export function enableProtocol0() {
  if (raw.hasProtocol0()) return Promise.resolve(); // a module built with it (the demo page's) needs none
  loading ??= (async () => {
    const rawP0 = (await import('../pkg/full-web/carbon_pickle.mjs')).createGlue();
    const exports = await rawP0.init({ module_or_path: new URL('../pkg/full-web/carbon_pickle_bg.wasm', import.meta.url) });
    p0 = createApi(rawP0, exports.memory);
  })();
  return loading;
}

const api = Object.freeze({ ...createApi(raw, memory, { protocol0 }), enableProtocol0 });

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export default api;
