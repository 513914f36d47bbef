// Deno: the module with every optional part (protocol 0, routing, the inspector, the line reader) as a
// compiled WebAssembly.Module. It is imported (a source
// phase import), not read, so the package needs no --allow-read; js/load.cjs requires this file in Deno.
import source wasmModule from '../../pkg/full-web/carbon_pickle_bg.wasm';

export default wasmModule;
