// Cluster placement on Deno: the route module (pkg/route-web, cargo feature `route`) from base64 text, so
// that no file is read; compiled on first use only (a client given `destinations`, or carbon-pickle/cluster).
import * as raw from '../pkg/route-web/carbon_pickle.js';
import wasmBase64 from '../pkg/route-web/carbon_pickle_bg.wasm.mjs';
import { createApi } from './api.mjs';
import { fromBase64 } from './base64.mjs';

let api = null;

/** The CarbonRouter class, instantiating the module the first time. */
export function loadRouter() {
  if (api === null) {
    const { memory } = raw.initSync({ module: fromBase64(wasmBase64) });
    api = createApi(raw, memory);
  }
  return api.CarbonRouter;
}
