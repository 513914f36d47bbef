// Cluster placement on Cloudflare workerd: the route module (pkg/route-web, cargo feature `route`) imported
// as a compiled WebAssembly.Module and instantiated on first use only.
import wasmModule from '../pkg/route-web/carbon_pickle_bg.wasm';
import * as raw from '../pkg/route-web/carbon_pickle.js';
import { createApi } from './api.mjs';

let api = null;

/** The CarbonRouter class, instantiating the module the first time. */
export function loadRouter() {
  if (api === null) {
    const { memory } = raw.initSync({ module: wasmModule });
    api = createApi(raw, memory);
  }
  return api.CarbonRouter;
}
