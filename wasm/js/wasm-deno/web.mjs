// Deno: the encoder's module (without protocol 0) as a compiled WebAssembly.Module. It is imported (a source
// phase import), not read, so the package needs no --allow-read; js/load.cjs requires this file in Deno.
import source wasmModule from '../../pkg/web/carbon_pickle_bg.wasm';

export default wasmModule;
