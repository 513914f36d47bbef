// Deno: the frame inspector's module as a compiled WebAssembly.Module. It is imported (a source
// phase import), not read, so the package needs no --allow-read; js/load.cjs requires this file in Deno.
import source wasmModule from '../../pkg/inspect-web/carbon_pickle_bg.wasm';

export default wasmModule;
