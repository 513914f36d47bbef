'use strict';
// `require('carbon-pickle/inspect')` and the CLI's `inspect`: the frame inspector from the module with every
// optional part (pkg/full-web, cargo feature `inspect` among them), so that the main module stays small.
//
// Two ways in: inspect(bytes), the whole listing as one string (from js/api.mjs, as in every runtime), and
// Inspector, the listing of a stream a stretch at a time, in the same memory whatever the stream's length
// (the CLI's `inspect` reads stdin with it).
const { instantiate } = require('./load.cjs');
const { createApi, codedError, describe, checkOptionNames } = require('../pkg/api.cjs');

const { raw, memory } = instantiate('full-web');
const { inspect } = createApi(raw, memory);

/** Listing text the module hands back at a time: a stretch of whole lines, so that a writer can be waited on between two. */
const STRETCH = 64 * 1024;

/**
 * The frame inspector over a stream (stdin, a socket, a capture too large to hold): `write` each chunk as
 * it comes and take the listing it completes, `end` when the input ends. The wasm module holds one frame
 * (up to carbon's 1 MiB cap), one chunk and one stretch of text at a time (about 1.2 MB), whatever the
 * stream's length. The listing is the text `inspect` gives for the same bytes, in strings of whole lines
 * of about 64 KiB (one line can be longer: up to about 4 bytes per byte of a frame).
 */
class Inspector {
  #raw;
  #counts = null;

  /**
   * @param {{ inputLength?: number }} [options] `inputLength`: the input's length in bytes, when known. The
   *   listing is bounded at 50 bytes per input byte: given the length, for all of it from the start, as
   *   `inspect` does; otherwise for the bytes written so far (the two differ only in where a listing that
   *   long is cut).
   */
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options must be an object, not ${describe(options)}`);
    }
    checkOptionNames(options, ['inputLength']);
    const { inputLength } = options;
    if (inputLength !== undefined && !(Number.isSafeInteger(inputLength) && inputLength >= 0)) {
      throw codedError(RangeError, 'ERR_CARBON_OPTIONS', `inputLength must be a whole number of bytes, not ${describe(inputLength)}`);
    }
    this.#raw = new raw.InspectStream(inputLength);
  }

  /**
   * Takes the next chunk of input; returns the listing it completes, strings of whole lines to take (all
   * of them) before the next `write`.
   * @param {Uint8Array | ArrayBuffer | ArrayBufferView} chunk
   * @returns {Iterable<string>}
   */
  write(chunk) {
    let bytes;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
    else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `chunk must be a Uint8Array or an ArrayBuffer, not ${describe(chunk)}`);
    this.#live().write(bytes);
    return this.#listing(false);
  }

  /**
   * Says the input has ended; returns the rest of the listing (a frame cut short, a bare pickle payload,
   * the note of a listing cut at its bound). The counts are then final, and the module's memory is freed
   * once that listing is taken.
   * @returns {Iterable<string>}
   */
  end() {
    this.#live().end();
    return this.#listing(true);
  }

  /** Frames looked at so far (a truncated or refused one included). */
  get frames() {
    return this.#count('frames');
  }

  /** Frames carbon would refuse (or that are cut short). */
  get refused() {
    return this.#count('refused');
  }

  /** Datapoints in the frames carbon would accept. */
  get points() {
    return this.#count('points');
  }

  /** Elements of accepted frames that carbon would skip. */
  get skipped() {
    return this.#count('skipped');
  }

  /** Frees the module's memory now (the listing of `end` frees it once taken); the counts stay readable. */
  free() {
    if (this.#raw === null) return;
    const r = this.#raw;
    this.#counts = { frames: r.frames, refused: r.refused, points: r.points, skipped: r.skipped };
    r.free();
    this.#raw = null;
  }

  #live() {
    if (this.#raw === null) throw codedError(Error, 'ERR_CARBON_FREED', 'the inspector has ended or was freed');
    return this.#raw;
  }

  #count(name) {
    return this.#raw === null ? this.#counts[name] : this.#raw[name];
  }

  *#listing(last) {
    while (this.#raw !== null) {
      const text = this.#raw.read(STRETCH);
      if (text === '') {
        if (last) this.free();
        return;
      }
      yield text;
    }
  }
}

// Captured bytes as people paste them: hex digits with any spacing, `0x` or `\x` prefixes, commas, colons
// or semicolons between bytes (the demo page's "paste frames" reads them the same way).
function parseHex(text) {
  const digits = String(text).trim().replace(/0x|\\x/gi, ' ').replace(/[\s,:;]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw new SyntaxError(`not hex: ${JSON.stringify(bad[0])}`);
  if (digits.length % 2) throw new SyntaxError(`an odd number of hex digits (${digits.length})`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

module.exports = { inspect, Inspector, parseHex };
