'use strict';
// The CLI's reader of carbon plaintext lines: the core's reader (Rust, `carbon_pickle::plaintext`) in the
// module with every optional part (pkg/full-web, cargo feature `lines`), so that the CLI reads every line as
// carbon's line receiver does and as the Rust example does, with the same words for every refusal. There
// is no line parsing in JavaScript: this file only copies stdin's chunks into wasm memory and reads back
// columns ready for `FrameEncoder.pushMany` and `CarbonClient.writeMany`.
//
// Each chunk costs two trips into wasm and one TextDecoder call for all of its paths, whatever number of
// lines it holds; refused lines come back as one string of messages. Memory is bounded: a line longer
// than 16,384 bytes (carbon's limit) is skipped as it streams by, never held.
const { instantiate } = require('./load.cjs');

const { raw, memory } = instantiate('full-web');
const decoder = new TextDecoder();

class LineParser {
  #p;

  // `options`: the encoder options the datapoints will be encoded with (checked already by the encoder
  // that takes them); each datapoint is put through the encoder's checks here, so that a line the encoder
  // would refuse is reported with its line number like any other bad line.
  constructor(options = {}) {
    const { protocol = 2, prefix, maxBytes = 1048576, maxPoints = 500, allowSpaces = false, asciiOnly = false } = options;
    const p = raw.LineParser.create(protocol, prefix, maxBytes, maxPoints, allowSpaces, asciiOnly);
    if (p === undefined) throw new RangeError('the line reader refuses these encoder options');
    this.#p = p;
  }

  /** Lines read so far (blank and refused ones included). */
  get lines() {
    return this.#p.lines;
  }

  /**
   * Reads a chunk of input (bytes). Returns the datapoints of the lines it completed as columns
   * `{ paths, values, timestamps }`, their line numbers (`lines`), and the refused lines as `refusals`
   * (messages `line N: ...`, one per line) with their number `refused`.
   */
  feed(chunk) {
    return this.#read(chunk, false);
  }

  /** The end of the input: reads the last line if it has no newline. Returns as `feed` does. */
  end() {
    return this.#read(new Uint8Array(0), true);
  }

  #read(chunk, end) {
    const p = this.#p;
    const n = chunk.length;
    const at = p.input(n);
    new Uint8Array(memory.buffer, at, n).set(chunk);
    const points = p.feed(n, Math.floor(Date.now() / 1000), end);
    const buf = memory.buffer;
    const text = decoder.decode(new Uint8Array(buf, p.textPtr(), p.textLen));
    const lens = new Uint32Array(buf, p.lensPtr(), points);
    const paths = new Array(points);
    for (let i = 0, from = 0; i < points; i++) {
      const to = from + lens[i];
      paths[i] = text.slice(from, to);
      from = to;
    }
    return {
      points: {
        paths,
        values: new Float64Array(buf, p.valuesPtr(), points).slice(),
        timestamps: new Float64Array(buf, p.timestampsPtr(), points).slice(),
      },
      lines: new Float64Array(buf, p.linesPtr(), points).slice(),
      refusals: p.refused > 0 ? p.refusals() : '',
      refused: p.refused,
    };
  }

  /** Frees the reader's wasm memory now. */
  free() {
    this.#p?.free();
    this.#p = null;
  }
}

module.exports = { LineParser };
