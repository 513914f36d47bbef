// Types for `carbon-pickle/inspect`: the frame inspector in Node, from its own wasm module.
import type { Inspection } from './index.js';

export type { Inspection };

/**
 * Explains frames opcode by opcode with the core's decoder: every opcode with its payload offset (Python's
 * `pickletools.dis` layout), then the datapoints carbon would store, or why it would refuse the frame.
 * Frames back to back (each with its 4-byte length header), a list of frames, or one bare pickle payload.
 */
export function inspect(frames: Uint8Array | ArrayBuffer | ArrayBufferView | Uint8Array[]): Inspection;

/**
 * Hex as people paste it (any spacing, `0x` or `\x` prefixes, commas, colons or semicolons between bytes)
 * to bytes; throws a SyntaxError naming the first character that is not hex, or for an odd digit count.
 */
export function parseHex(text: string): Uint8Array;
