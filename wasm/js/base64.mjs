// Base64 text to bytes, for the wasm modules that Deno imports as text (so that it reads no file).
export function fromBase64(text) {
  return typeof Uint8Array.fromBase64 === 'function' ? Uint8Array.fromBase64(text) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
