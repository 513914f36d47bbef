// Types for `carbon-pickle/node`: CarbonClient, a sender for Node (TCP or TLS).
import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import type { Datapoint, Datapoints, Options } from './index.js';

export interface CarbonClientOptions extends Options {
  /** "host:port" (IPv6 as "[::1]:2004"); or host and port. */
  to?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2004. */
  port?: number;
  /**
   * TLS with certificate verification: true, or tls.connect options such as `ca` (a private CA),
   * `servername`. Hosted Graphite: `{ to: 'carbon.hostedgraphite.com:20040', tls: true, prefix: API_KEY }`.
   */
  tls?: boolean | ConnectionOptions;
  /** Milliseconds between flushes of a partly filled frame (default 1000; 0: only full frames and flush()). */
  flushInterval?: number;
  /** Datapoints that may wait (default 100,000); more are dropped, counted and reported as 'drop'. */
  maxQueuedPoints?: number;
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
}

export declare class CarbonClient extends EventEmitter {
  constructor(options?: CarbonClientOptions);
  readonly stats: CarbonClientStats;
  readonly queuedPoints: number;
  readonly connected: boolean;
  /** Queues a datapoint; false (counted as dropped) when the queue is full. */
  send(path: string, value: number, timestamp?: number | Date): boolean;
  write(point: Datapoint): boolean;
  /** Queues datapoints; returns how many (the rest, from the end, are dropped when the queue is full). */
  writeMany(points: Datapoints): number;
  /** Resolves when everything queued before the call was written; rejects after `timeout` ms if given. */
  flush(options?: { timeout?: number }): Promise<void>;
  /** Flushes, then closes the connection. */
  close(options?: { timeout?: number }): Promise<void>;
  /** Closes at once, dropping what waits. */
  destroy(): void;

  on(event: 'connect', listener: () => void): this;
  on(event: 'disconnect', listener: (error: Error | null) => void): this;
  on(event: 'reconnecting', listener: (info: { attempt: number; delay: number }) => void): this;
  on(event: 'drop', listener: (info: { points: number; reason: string; total: number }) => void): this;
  on(event: string, listener: (...args: unknown[]) => void): this;
}

export declare function parseTarget(to: string): { host: string; port: number };
