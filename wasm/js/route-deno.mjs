// Cluster placement on Deno: the module with every optional part (pkg/full-web, cargo feature `route`
// among them) imported as a compiled module (js/wasm-deno/full-web.mjs), so that no file is read;
// instantiated on first use only (a client given `destinations`, or carbon-pickle/cluster).
import { createGlue } from '../pkg/full-web/carbon_pickle.mjs';
import wasmModule from './wasm-deno/full-web.mjs';
import { createApi } from './api.mjs';

let api = null;

/** The CarbonRouter class, instantiating the module the first time. */
export function loadRouter() {
  if (api === null) {
    const raw = createGlue();
    api = createApi(raw, raw.initSync({ module: wasmModule }).memory);
  }
  return api.CarbonRouter;
}
