// Types for `carbon-pickle`: Graphite carbon pickle frames from JavaScript, encoded by the Rust core (wasm).

/**
 * The pickle protocol of frame payloads: 2 (binary, what carbon's relay sends) or 0 (text, as statsd).
 * Protocol 0 is encoded by a wasm module of its own: Node, Bun, Deno and workerd load it the first time it is
 * used; in browsers `await enableProtocol0()` first.
 */
export type Protocol = 0 | 2;

/** How frames are built. Every field is optional. */
export interface Options {
  /** Pickle protocol, 2 by default. */
  protocol?: Protocol;
  /** Written before every path with a dot (Hosted Graphite: your API key). Follows the path rules. */
  prefix?: string;
  /** Largest payload of a frame in bytes, header not counted (default 1,048,576: carbon's limit). */
  maxBytes?: number;
  /** Largest number of datapoints in a frame (default 500: carbon relay's). */
  maxPoints?: number;
  /** Allow spaces in paths (refused by default). */
  allowSpaces?: boolean;
  /** Refuse non-ASCII paths (carbon-relay-ng does). */
  asciiOnly?: boolean;
}

/** The options in force, defaults filled in; the prefix (an API key) is not readable back. */
export interface ResolvedOptions {
  readonly protocol: Protocol;
  /** Whether a prefix is set. */
  readonly hasPrefix: boolean;
  readonly maxBytes: number;
  readonly maxPoints: number;
  readonly allowSpaces: boolean;
  readonly asciiOnly: boolean;
}

/**
 * Graphite tags, `{ tag: value }`: the path is sent as the tagged series `path;tag=value;...`, checked by
 * carbon's tag rules and written in carbon's canonical order (tags sorted; a `name` tag is dropped, as carbon
 * does). Values are strings or numbers.
 */
export type Tags = Readonly<Record<string, string | number>>;

/**
 * One datapoint. `timestamp` is seconds since the epoch (fractions allowed); now if left out. `path` may be a
 * tagged path itself (`disk.used;dc=dc1`, or `disk.used{dc="dc1"}`), and `tags` adds tags to it.
 */
export interface Datapoint {
  path: string;
  value: number;
  timestamp?: number | Date;
  tags?: Tags;
}

/** Numbers in any typed array or a plain array. */
export type Numbers = Float64Array | Float32Array | Uint32Array | Int32Array | Uint16Array | Int16Array | Uint8Array | Int8Array | number[];

/** Datapoints as columns: one path, value (and timestamp) per datapoint. */
export interface Columns {
  paths: string[];
  values: Numbers;
  /** One per datapoint, or one number or Date for all; now if left out. */
  timestamps?: Numbers | number | Date;
  /** Tags for every path, or one (or undefined) per path. */
  tags?: Tags | readonly (Tags | undefined)[];
}

export type Datapoints = Datapoint[] | Columns;

/** A frame (4-byte big-endian length, then the pickle), ready for a socket, with its datapoint count. */
export type Frame = Uint8Array & { readonly points: number };

/**
 * What the encoder throws for a refused datapoint or option: a TypeError (bad path, wrong type) or a
 * RangeError (non-finite value, timestamp outside 0..2^32, datapoint larger than a frame, bad limits).
 */
export interface CarbonEncodeError extends Error {
  /** ERR_CARBON_INVALID_PATH, ERR_CARBON_INVALID_PREFIX, ERR_CARBON_VALUE, ERR_CARBON_TIMESTAMP,
   *  ERR_CARBON_TOO_LARGE, ERR_CARBON_OPTIONS, ERR_CARBON_INPUT or ERR_INVALID_ARG_TYPE. */
  code: string;
  /** Index of the refused datapoint in the batch (`pushMany`, `encodeFrames`, `MetricSet.encode`; of the
   *  refused path for the `MetricSet` constructor); the message names it too: `datapoint 700 (path "a..b"): ...`.
   *  Absent for `FrameEncoder.push`, whose one datapoint is named by its path alone: `datapoint (path "a..b"): ...`. */
  index?: number;
  /** Its path. */
  path?: string;
  /** encodeFrames and MetricSet.encode: the frames of the datapoints before the refused one. */
  frames?: Frame[];
  /** ERR_CARBON_OPTIONS for an option name that does not exist (of any constructor's options): that name. */
  option?: string;
}

/** The former name of {@link CarbonEncodeError}. */
export type CarbonPickleError = CarbonEncodeError;

/** carbon's PICKLE_RECEIVER_MAX_LENGTH: 1,048,576. */
export const CARBON_MAX_PAYLOAD: number;
/** carbon relay's MAX_DATAPOINTS_PER_MESSAGE: 500. */
export const CARBON_MAX_POINTS: number;

/**
 * Encodes datapoints into as many frames as the limits need. Throws a {@link CarbonEncodeError} at the
 * first refused datapoint, with the frames of those before it.
 */
export function encodeFrames(points: Datapoints, options?: Options): Frame[];

/**
 * Loads the protocol-0 module (7 KB of wasm kept out of the main one). Browsers must await it before any
 * `protocol: 0`, which otherwise throws a RangeError with code `ERR_CARBON_PROTOCOL`; elsewhere protocol 0
 * loads by itself and this resolves at once. Encoders made with protocol 0 come from that module: the same
 * API, but not `instanceof` this module's classes.
 */
export function enableProtocol0(): Promise<void>;

/** Cuts frames written back to back into one view per frame (no copy). */
export function splitFrames(bytes: Uint8Array): Uint8Array[];

/** Streams datapoints into frames: push them as they come, take frames as they fill. */
export class FrameEncoder {
  constructor(options?: Options);
  readonly options: ResolvedOptions;
  /** Datapoints in the open frame. */
  readonly pendingPoints: number;
  /** Bytes of frames not yet returned, the open one included. */
  readonly pendingBytes: number;
  /** Adds a datapoint; returns the frames it finished (usually none). A refused one changes nothing; the
   *  error names it by its path (`datapoint (path "a..b"): invalid path: ...`) and has no `index`. */
  push(point: Datapoint): Frame[];
  /** Adds datapoints; on a refused one, those before it are kept (with the frames they finished, handed out
   *  by the next call) and the error says its index. */
  pushMany(points: Datapoints): Frame[];
  /** Like `pushMany` for datapoints `from` up to (not including) `to` of `points` only: a large batch in
   *  parts without copying it. A refusal's `index` is the datapoint's index in `points`. */
  pushRange(points: Datapoints, from: number, to: number): Frame[];
  /** Finishes the open frame; returns every frame not yet returned. */
  flush(): Frame[];
  /** Frees the wasm memory now (otherwise when garbage-collected). */
  free(): void;
}

/** Interned paths: registered (and checked) once, then each flush passes only numbers. */
export class MetricSet {
  /** `paths`: strings, or `{ path, tags }` for a path with tags fixed for it. */
  constructor(paths: readonly (string | { path: string; tags?: Tags })[], options?: Options);
  readonly size: number;
  /** The registered paths, in order; a `{ path, tags }` as its tagged path (`path;tag=value;...`). */
  readonly paths: readonly string[];
  readonly options: ResolvedOptions;
  /**
   * Encodes `values[i]` for path `i`, or for path `indices[i]` when given; `timestamps`: one number or
   * Date for all (now if left out) or one per value.
   */
  encode(values: Numbers, timestamps?: Numbers | number | Date, indices?: Uint32Array | number[]): Frame[];
  free(): void;
}

/** What {@link inspect} found. */
export interface Inspection {
  /** Per frame: its offset and size, every opcode (`pickletools.dis` layout) up to `STOP` or up to the one
   *  the decoder refuses (then a line counting the bytes left unlisted), then the datapoints or the refusal.
   *  At most 50 bytes per input byte (4 KiB at least); a longer listing ends with a line `listing cut: ...`. */
  text: string;
  /** Frames looked at (a truncated or refused one included). */
  frames: number;
  /** Frames carbon would refuse (or that are cut short). */
  refused: number;
  /** Datapoints in the frames carbon would accept (counted even past a cut listing). */
  points: number;
  /** Elements of accepted frames that carbon would skip. */
  skipped: number;
}

/**
 * Explains frames opcode by opcode with the core's decoder (only in builds made with `--inspect`; the
 * npm package's default build throws: in Node, `carbon-pickle/inspect` has it in a module of its own).
 * The listing is one string, of up to 50 bytes per input byte: any input up to 10 MiB fits in the longest
 * string there is (2^29 - 24 characters in V8); a longer listing throws a `RangeError` (`ERR_CARBON_INPUT`).
 * `Inspector` (`carbon-pickle/inspect`) lists input of any length a stretch at a time.
 */
export function inspect(frames: Uint8Array | ArrayBuffer | ArrayBufferView | Uint8Array[]): Inspection;
