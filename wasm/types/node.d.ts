// `carbon-pickle/node`: an alias of `carbon-pickle/client`, kept for programs written before it.
export * from './client.js';
