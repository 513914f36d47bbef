// Deno: the wasm modules are imported as compiled modules (source phase imports, js/wasm-deno/), not read
// from disk, so that the package needs no --allow-read; the encoder's module is instantiated synchronously.
// Protocol 0 is in the module with every optional part (pkg/full-web), instantiated the first time
// protocol 0 is used.
import { createGlue } from '../pkg/web/carbon_pickle.mjs';
import wasmModule from './wasm-deno/web.mjs';
import p0Module from './wasm-deno/full-web.mjs';
import { createGlue as createFullGlue } from '../pkg/full-web/carbon_pickle.mjs';
import { createApi } from './api.mjs';

const raw = createGlue();
const { memory } = raw.initSync({ module: wasmModule });

let p0 = null;
function protocol0() {
  if (p0 === null) {
    const rawP0 = createFullGlue();
    p0 = createApi(rawP0, rawP0.initSync({ module: p0Module }).memory);
  }
  return p0;
}

/** Protocol 0 loads by itself on Deno; this resolves at once (it exists for code shared with browsers). */
const enableProtocol0 = async () => void protocol0();
const api = Object.freeze({ ...createApi(raw, memory, { protocol0 }), enableProtocol0 });

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect } = api;
export { enableProtocol0 };
export default api;
