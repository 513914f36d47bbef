// Cluster placement on Cloudflare workerd: the module with every optional part (pkg/full-web, cargo feature
// `route` among them) imported as a compiled WebAssembly.Module and instantiated on first use only.
import wasmModule from '../pkg/full-web/carbon_pickle_bg.wasm';
import { createGlue } from '../pkg/full-web/carbon_pickle.mjs';
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
