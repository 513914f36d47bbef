// Types for `carbon-pickle/client` (and its alias `carbon-pickle/node`): CarbonClient and the one-shot send(),
// in Node, Deno, Bun and Cloudflare workerd. No Node types are needed: the event methods are declared here.
import type { Datapoint, Datapoints, Options, Tags } from './index.js';
import type { HashType } from './cluster.js';

/**
 * TLS with certificate verification. Node and Bun: any `tls.connect` option (`ca`, `servername`, client
 * certificates). Deno: `ca` or `caCerts` (PEM) and `servername`. workerd: `true` only; a private CA goes in
 * the worker's config (`tlsOptions.trustedCertificates`).
 */
export interface TlsOptions {
  /** A private CA, PEM (string or bytes), or several. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Deno's name for `ca`: PEM strings. */
  caCerts?: string[];
  /** The name to verify when connecting by address. */
  servername?: string;
  [option: string]: unknown;
}

/**
 * The client's options. `Destinations` is the type of `destinations`: `undefined` for one receiver (`to`, or
 * `host` and `port`), an array for a carbon cluster; it decides what the events carry (see
 * {@link CarbonClientEventArgs}).
 */
export interface CarbonClientOptions<Destinations extends readonly string[] | undefined = readonly string[] | undefined> extends Options {
  /** "host:port" (IPv6 as "[::1]:2004"); or host and port. */
  to?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2004. */
  port?: number;
  /** Hosted Graphite: `{ to: 'carbon.hostedgraphite.com:20040', tls: true, prefix: API_KEY }`. */
  tls?: boolean | TlsOptions;
  /**
   * Graphite tags added to every datapoint (as hot-shots' `globalTags`); a datapoint's own tag of the same
   * name wins. Checked when the client is made (TypeError, ERR_CARBON_OPTIONS).
   */
  globalTags?: Tags;
  /** Milliseconds between flushes of a partly filled frame (default 1000; 0: only full frames and flush()). */
  flushInterval?: number;
  /** Datapoints that may wait (default 100,000); more are dropped, counted and reported as 'drop'. */
  maxQueuedPoints?: number;
  /** Queued datapoints at which `writableNeedDrain` turns true (default maxQueuedPoints / 2). */
  highWaterMark?: number;
  /** Queued datapoints at or below which 'drain' fires and ready() resolves (default highWaterMark / 2). */
  lowWaterMark?: number;
  /** Bytes of written frames kept to send again after a reconnect (default 4 MiB; 0: none). */
  replayBytes?: number;
  /** How long a written frame is kept for that (default 30,000 ms). */
  replayMs?: number;
  /** First reconnect delay (default 100 ms), doubled per failed attempt up to reconnectMaxDelay (30,000). */
  reconnectInitialDelay?: number;
  reconnectMaxDelay?: number;
  /** Fraction of each delay taken off at random (default 0.5). */
  reconnectJitter?: number;
  /** Milliseconds to wait for a connection (default 10,000). */
  connectTimeout?: number;
  /**
   * Milliseconds that `flush()`, `close()` and `ready()` wait when the call gives no `timeout` of its own
   * (default 30,000; `Infinity`: as long as it takes). They then reject with a {@link CarbonDeliveryError}.
   */
  timeout?: number;
  /**
   * One warning on stderr per outage (default true), unless a 'disconnect' listener is registered;
   * false: none.
   */
  warnings?: boolean;
  /**
   * The largest payload the receiver takes (default 1,048,576: carbon's PICKLE_RECEIVER_MAX_LENGTH).
   * `maxBytes` above it is refused: say here that your receiver takes more (go-carbon 64 MiB,
   * carbon-relay-ng 500 MiB, carbon with a larger PICKLE_RECEIVER_MAX_LENGTH).
   */
  receiverMaxBytes?: number;
  /**
   * Skip the TLS certificate check (default false; Node and Bun only). Anyone in the path can then read the
   * datapoints and the prefix; the client warns once. `tls: { rejectUnauthorized: false }` is refused.
   */
  insecureSkipVerify?: boolean;
  /**
   * A carbon cluster instead of one receiver: `HOST:PORT[:INSTANCE]` each, every datapoint
   * sent to the caches carbon-relay would pick; one connection, queue and replay window per destination.
   * Not together with `to`, `host` or `port`.
   */
  destinations?: Destinations;
  /** With destinations: carbon_ch (default), fnv1a_ch or jump_fnv1a_ch. */
  hash?: HashType;
  /** With destinations: REPLICATION_FACTOR (default 1). */
  replicationFactor?: number;
  /** With destinations: DIVERSE_REPLICAS (default true). */
  diverseReplicas?: boolean;
}

export interface CarbonClientStats {
  /** Datapoints written (first sending only). */
  points: number;
  frames: number;
  bytes: number;
  /** Datapoints dropped: the queue was full, or their frame was poison (below). */
  dropped: number;
  /** Frames the receiver refused (it closed the connection twice right after each), dropped; their datapoints. */
  poisonedFrames: number;
  poisonedPoints: number;
  /** Frames and datapoints sent again after reconnects. */
  replayedFrames: number;
  replayedPoints: number;
  connects: number;
  disconnects: number;
  queuedPoints: number;
  queuedFrames: number;
  replayFrames: number;
  connected: boolean;
  /** With destinations: each destination's own counters. */
  destinations?: Array<Omit<CarbonClientStats, 'destinations'> & { destination: string }>;
}

/** An item of pipeFrom() or writable(): one datapoint, or a batch as rows or columns. */
export type DatapointsItem = Datapoint | Datapoints;

export interface WaitOptions {
  /**
   * Milliseconds; the promise then rejects with a {@link CarbonDeliveryError} (`code: 'ETIMEDOUT'`).
   * Default: the client's `timeout` option (30,000 unless given); `Infinity`: as long as it takes.
   */
  timeout?: number;
}

/**
 * Why `flush()`, `close()`, `ready()`, `pipeFrom()` or `send()` gave up: `code` is 'ETIMEDOUT' (its
 * timeout passed) or 'ERR_CARBON_PERMISSION' (the runtime refuses the network); `notDelivered` datapoints
 * were not delivered; `cause` is the last connection error. (A call on a closed or destroyed client
 * rejects with a plain Error of code 'ERR_CARBON_CLOSED'.)
 */
export interface CarbonDeliveryError extends Error {
  code: string;
  /** Datapoints not delivered. */
  notDelivered: number;
  /** The last connection error, if there was one. */
  cause?: unknown;
  /** With destinations: the destination that failed (the first, if several did). */
  destination?: string;
}

/** With destinations: the destination an event is about. */
export interface DestinationInfo {
  /** As written in `destinations`. */
  destination: string;
  /** Its index in `destinations`. */
  index: number;
}

/** 'reconnecting': the next attempt and the milliseconds until it. */
export interface ReconnectingInfo {
  attempt: number;
  delay: number;
}

/**
 * 'drop': datapoints dropped now, why ('queue full', or 'poison': a frame after which the receiver closed
 * the connection twice), and the count since the client was made.
 */
export interface DropInfo {
  points: number;
  reason: 'queue full' | 'poison' | (string & {});
  total: number;
  /** reason 'poison': the frame's bytes (header and pickle), e.g. for `carbon-pickle/inspect`. */
  frame?: Uint8Array;
}

/** The listener arguments of each event of a client with one receiver. */
export interface CarbonClientEvents {
  /** A connection is up. */
  connect: [];
  /** A connection ended or an attempt failed: the error, or `null` for a clean close. */
  disconnect: [error: Error | null];
  reconnecting: [info: ReconnectingInfo];
  drop: [info: DropInfo];
  /** The queue fell to lowWaterMark. */
  drain: [];
}

/** The listener arguments of each event of a client with `destinations`: which destination, too. */
export interface CarbonClusterEvents {
  connect: [info: DestinationInfo];
  disconnect: [error: Error | null, info: DestinationInfo];
  reconnecting: [info: ReconnectingInfo & DestinationInfo];
  drop: [info: DropInfo & DestinationInfo];
  /** Every destination's queue fell to lowWaterMark. */
  drain: [];
  /** fnv1a_ch destinations whose instance names clash (one of them gets no metrics). */
  warning: [warning: Error];
}

/**
 * The listener arguments of each event of a client whose options may or may not have `destinations` (a
 * `CarbonClientOptions` variable): what either kind emits, the destination's fields optional.
 */
export interface CarbonClientAnyEvents {
  connect: [info?: DestinationInfo];
  disconnect: [error: Error | null, info?: DestinationInfo];
  reconnecting: [info: ReconnectingInfo & Partial<DestinationInfo>];
  drop: [info: DropInfo & Partial<DestinationInfo>];
  drain: [];
  warning: [warning: Error];
}

/**
 * The event map of a client whose `destinations` option has the type `Destinations`: undefined (one
 * receiver), an array (a cluster), or either.
 */
export type CarbonClientEventMap<Destinations extends readonly string[] | undefined> = [Destinations] extends [undefined]
  ? CarbonClientEvents
  : [Destinations] extends [readonly string[]]
    ? CarbonClusterEvents
    : CarbonClientAnyEvents;

/** The events of a client whose `destinations` option has the type `Destinations`. */
export type CarbonClientEventName<Destinations extends readonly string[] | undefined = undefined> = keyof CarbonClientEventMap<Destinations>;

/** The arguments of event `E`'s listeners for a client whose `destinations` option has the type `Destinations`. */
export type CarbonClientEventArgs<Destinations extends readonly string[] | undefined, E extends CarbonClientEventName<Destinations>> =
  Extract<CarbonClientEventMap<Destinations>[E], unknown[]>;

/**
 * Sends datapoints to carbon. An EventEmitter (node:events' in Node, Deno and Bun; one with the same methods
 * in workerd), so `await once(client, 'drain')` works. `Destinations` is inferred from the options:
 * `new CarbonClient({ destinations: [...] })` is a `CarbonClient<string[]>`, whose events say which
 * destination they are about; `new CarbonClient({ to })` is a `CarbonClient` (one receiver).
 */
export declare class CarbonClient<Destinations extends readonly string[] | undefined = undefined> {
  constructor(options?: CarbonClientOptions<Destinations>);
  readonly stats: CarbonClientStats;
  readonly queuedPoints: number;
  readonly connected: boolean;
  /** True from the moment the queue reaches highWaterMark until it falls to lowWaterMark ('drain'). */
  readonly writableNeedDrain: boolean;
  /** Queues a datapoint; false (counted as dropped) when the queue is full. */
  send(path: string, value: number, timestamp?: number | Date): boolean;
  write(point: Datapoint): boolean;
  /** Queues datapoints; returns how many (the rest, from the end, are dropped when the queue is full). */
  writeMany(points: Datapoints): number;
  /** Resolves when the queue has room (at once unless writableNeedDrain). */
  ready(options?: WaitOptions): Promise<void>;
  /** Writes everything the source yields, waiting for room, never dropping; resolves with the count once flushed. */
  pipeFrom(source: Iterable<DatapointsItem> | AsyncIterable<DatapointsItem>, options?: WaitOptions): Promise<number>;
  /** A WritableStream of datapoints that waits for room; closing it flushes the client. */
  writable(options?: WaitOptions): WritableStream<DatapointsItem>;
  /** Resolves when everything queued before the call was written; rejects with a {@link CarbonDeliveryError}. */
  flush(options?: WaitOptions): Promise<void>;
  /** Flushes, then closes the connection; until then the process stays alive. */
  close(options?: WaitOptions): Promise<void>;
  /** Closes at once, dropping what waits. */
  destroy(): void;

  // EventEmitter, with the listener arguments each event has.
  on<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  addListener<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  once<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  prependListener<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  prependOnceListener<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  off<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  removeListener<E extends CarbonClientEventName<Destinations>>(event: E, listener: (...args: CarbonClientEventArgs<Destinations, E>) => void): this;
  removeAllListeners(event?: string | symbol): this;
  emit<E extends CarbonClientEventName<Destinations>>(event: E, ...args: CarbonClientEventArgs<Destinations, E>): boolean;
  listenerCount(event: string | symbol, listener?: (...args: any[]) => void): number;
  listeners(event: string | symbol): Array<(...args: any[]) => void>;
  rawListeners(event: string | symbol): Array<(...args: any[]) => void>;
  eventNames(): Array<string | symbol>;
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
}

/** send()'s options: a client's, its `timeout` (default 30,000 ms) covering connecting and writing everything. */
export interface SendOptions extends CarbonClientOptions {}

export interface SendResult {
  /** Datapoints written. */
  points: number;
  frames: number;
  bytes: number;
  connects: number;
}

/**
 * An error from send(): how many datapoints there were and how many were not delivered. A refused
 * datapoint's error (an encoder error: `code`, `index`, `path`) carries them too (then nothing was sent).
 */
export interface SendError extends CarbonDeliveryError {
  points: number;
  /** A refused datapoint: its index. */
  index?: number;
  /** A refused datapoint: its path. */
  path?: string;
}

/**
 * Connects, writes every datapoint, closes, and resolves with what was written. A refused datapoint throws
 * before anything is sent. For request-scoped runtimes: `ctx.waitUntil(send(points, options))`.
 */
export declare function send(points: Datapoints, options?: SendOptions): Promise<SendResult>;

/** "host:port" (IPv6 as "[::1]:2004") → host and port; throws a TypeError for anything else. */
export declare function parseTarget(to: string): { host: string; port: number };

/**
 * A destination as `destinations` takes it, `HOST:PORT[:INSTANCE]` (IPv6 as `[::1]:2004:a`), → host, port
 * and instance (undefined when not given); throws a TypeError for anything else.
 */
export declare function parseDestination(destination: string): { host: string; port: number; instance: string | undefined };
