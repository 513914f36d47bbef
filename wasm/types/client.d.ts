// Types for `carbon-pickle/client` (and its alias `carbon-pickle/node`): CarbonClient and the one-shot send(),
// in Node, Deno, Bun and Cloudflare workerd. No Node types are needed: the event methods are declared here.
import type { Datapoint, Datapoints, Options } from './index.js';
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

export interface CarbonClientOptions extends Options {
  /** "host:port" (IPv6 as "[::1]:2004"); or host and port. */
  to?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2004. */
  port?: number;
  /** Hosted Graphite: `{ to: 'carbon.hostedgraphite.com:20040', tls: true, prefix: API_KEY }`. */
  tls?: boolean | TlsOptions;
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
   * A carbon cluster instead of one receiver: `HOST:PORT[:INSTANCE]` each, every datapoint
   * sent to the caches carbon-relay would pick; one connection, queue and replay window per destination.
   */
  destinations?: string[];
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
  /** Datapoints dropped because the queue was full. */
  dropped: number;
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
  /** Milliseconds; the promise rejects with `code: 'ETIMEDOUT'` after this long. None: wait as long as it takes. */
  timeout?: number;
}

export declare class CarbonClient {
  constructor(options?: CarbonClientOptions);
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
  /** Resolves when everything queued before the call was written; rejects after `timeout` ms if given. */
  flush(options?: WaitOptions): Promise<void>;
  /** Flushes, then closes the connection; until then the process stays alive. */
  close(options?: WaitOptions): Promise<void>;
  /** Closes at once, dropping what waits. */
  destroy(): void;

  on(event: 'connect', listener: () => void): this;
  on(event: 'disconnect', listener: (error: Error | null) => void): this;
  on(event: 'reconnecting', listener: (info: { attempt: number; delay: number }) => void): this;
  on(event: 'drop', listener: (info: { points: number; reason: string; total: number }) => void): this;
  on(event: 'drain', listener: () => void): this;
  /** With destinations, connect/disconnect/reconnecting/drop also get `{ destination, index }`. */
  on(event: 'warning', listener: (warning: Error) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  addListener(event: string, listener: (...args: any[]) => void): this;
  removeListener(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  listenerCount(event: string): number;
  emit(event: string, ...args: any[]): boolean;
}

export interface SendOptions extends CarbonClientOptions {
  /** Milliseconds for connecting and writing everything (default 30,000). */
  timeout?: number;
}

export interface SendResult {
  /** Datapoints written. */
  points: number;
  frames: number;
  bytes: number;
  connects: number;
}

/** An error from send(): how many datapoints there were and how many were not delivered. */
export interface SendError extends Error {
  code?: string;
  points: number;
  notDelivered: number;
}

/**
 * Connects, writes every datapoint, closes, and resolves with what was written. A refused datapoint throws
 * before anything is sent. For request-scoped runtimes: `ctx.waitUntil(send(points, options))`.
 */
export declare function send(points: Datapoints, options?: SendOptions): Promise<SendResult>;

export declare function parseTarget(to: string): { host: string; port: number };
