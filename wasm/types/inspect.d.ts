// Types for `carbon-pickle/inspect`: the frame inspector in Node, from its own wasm module.
import type { Inspection } from './index.js';

export type { Inspection };

/**
 * Explains frames opcode by opcode with the core's decoder: every opcode with its payload offset (Python's
 * `pickletools.dis` layout), then the datapoints carbon would store, or why it would refuse the frame.
 * Frames back to back (each with its 4-byte length header), a list of frames, or one bare pickle payload.
 * The listing is one string, of up to 50 bytes per input byte: any input up to 10 MiB fits in the longest
 * string there is (2^29 - 24 characters in V8); a longer listing throws a `RangeError` (`ERR_CARBON_INPUT`).
 * {@link Inspector} lists input of any length a stretch at a time.
 */
export function inspect(frames: Uint8Array | ArrayBuffer | ArrayBufferView | Uint8Array[]): Inspection;

/** Options of {@link Inspector}. */
export interface InspectorOptions {
  /**
   * The input's length in bytes, when known. The listing is bounded at 50 bytes per input byte: given the
   * length, for all of it from the start, as {@link inspect} does; otherwise for the bytes written so far
   * (the two differ only in where a listing that long is cut).
   */
  inputLength?: number;
}

/**
 * The frame inspector over a stream (stdin, a socket, a capture too large to hold): `write` each chunk as
 * it comes and take the listing it completes, `end` when the input ends. The wasm module holds one frame
 * (up to carbon's 1 MiB cap), one chunk and one stretch of text at a time, whatever the stream's length.
 * The listing is the text {@link inspect} gives for the same bytes, in strings of whole lines of about
 * 64 KiB (one line can be longer: up to about 4 bytes per byte of a frame).
 *
 * ```js
 * const inspector = new Inspector();
 * for await (const chunk of process.stdin) {
 *   for (const text of inspector.write(chunk)) if (!process.stdout.write(text)) await once(process.stdout, 'drain');
 * }
 * for (const text of inspector.end()) process.stdout.write(text);
 * console.error(`${inspector.frames} frames, ${inspector.refused} refused`);
 * ```
 */
export class Inspector {
  constructor(options?: InspectorOptions);
  /** Takes the next chunk of input; returns the listing it completes, to take (all of it) before the next `write`. */
  write(chunk: Uint8Array | ArrayBuffer | ArrayBufferView): Iterable<string>;
  /**
   * Says the input has ended; returns the rest of the listing. The counts are then final, and the module's
   * memory is freed once that listing is taken.
   */
  end(): Iterable<string>;
  /** Frames looked at so far (a truncated or refused one included). */
  readonly frames: number;
  /** Frames carbon would refuse (or that are cut short). */
  readonly refused: number;
  /** Datapoints in the frames carbon would accept. */
  readonly points: number;
  /** Elements of accepted frames that carbon would skip. */
  readonly skipped: number;
  /** Frees the module's memory now (the listing of `end` frees it once taken); the counts stay readable. */
  free(): void;
}

/**
 * Hex as people paste it (any spacing, `0x` or `\x` prefixes, commas, colons or semicolons between bytes)
 * to bytes; throws a SyntaxError naming the first character that is not hex, or for an odd digit count.
 */
export function parseHex(text: string): Uint8Array;
