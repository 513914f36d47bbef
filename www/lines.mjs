// Carbon plaintext lines (`path value timestamp`) into datapoints by the Rust core's reader
// (`carbon_pickle::plaintext`), through the demo's wasm module (built with the package's `lines` feature by
// scripts/serve-www.sh). The page reads every line as carbon's line receiver does, and as
// core/examples/encode.rs and the npm CLI do, with the same words for every refusal: there is no line
// parsing in the page.
import { createGlue } from './carbon-pickle/pkg/web/carbon_pickle.mjs';

// An instance of its own: the package's API (js/web.mjs) keeps its instance to itself.
const raw = createGlue();
const { memory } = await raw.init({ module_or_path: new URL('./carbon-pickle/pkg/web/carbon_pickle_bg.wasm', import.meta.url) });
const encoder = new TextEncoder();

/** False with a module built without the reader (the package's published main module). */
export const HAS_READER = typeof raw.LineParser === 'function';

/**
 * Reads `text` (the whole input, a last line without a newline included) under the encoder's options.
 * Returns a Map from line number (from 1) to `{ point: { path, value, timestamp } }` or `{ error }` (the
 * core's message without its `line N: `); a blank line is not in it. `now` is the time of lines without a
 * timestamp (or with carbon's -1). Every datapoint has passed the encoder's own checks under `options`.
 */
export function readLines(text, options, now) {
  const p = raw.LineParser.create(options.protocol, options.prefix, options.maxBytes, options.maxPoints, false, false);
  if (p === undefined) throw new RangeError('the line reader refuses these options');
  try {
    const bytes = encoder.encode(text);
    const at = p.input(bytes.length);
    new Uint8Array(memory.buffer, at, bytes.length).set(bytes);
    const n = p.feed(bytes.length, now, true);
    const read = new Map();
    const buf = memory.buffer;
    const paths = new TextDecoder().decode(new Uint8Array(buf, p.textPtr(), p.textLen));
    const lens = new Uint32Array(buf, p.lensPtr(), n);
    const values = new Float64Array(buf, p.valuesPtr(), n);
    const timestamps = new Float64Array(buf, p.timestampsPtr(), n);
    const numbers = new Float64Array(buf, p.linesPtr(), n);
    for (let i = 0, from = 0; i < n; i++) {
      const path = paths.slice(from, from + lens[i]);
      from += lens[i];
      read.set(numbers[i], { point: { path, value: values[i], timestamp: timestamps[i] } });
    }
    for (const said of p.refusals().split('\n')) {
      const m = /^line (\d+): /.exec(said);
      if (m) read.set(Number(m[1]), { error: said.slice(m[0].length) });
    }
    return read;
  } finally {
    p.free();
  }
}

/** The page's lines, as the editor shows them: split at `\n`, no empty line after the last newline. */
export function splitLines(text) {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}
