// Types for `carbon-pickle/cluster`: CarbonRouter, carbon-relay's placement (Node, Bun, Deno, workerd).

export type HashType = 'carbon_ch' | 'fnv1a_ch' | 'jump_fnv1a_ch';

export interface RouterOptions {
  /** carbon_ch (carbon's default), fnv1a_ch (carbon, instance names only) or jump_fnv1a_ch (carbon-c-relay). */
  hash?: HashType;
  /** REPLICATION_FACTOR: destinations per metric (default 1). */
  replicationFactor?: number;
  /** DIVERSE_REPLICAS: replicas on distinct servers (default true, as carbon). */
  diverseReplicas?: boolean;
  /** Hashed before every path with a dot, as the relay sees the name (Hosted Graphite's API key). */
  prefix?: string;
}

/**
 * Where carbon-relay puts each metric among `destinations` (`HOST:PORT[:INSTANCE]`, IPv6 as `[::1]:2004:a`).
 * Throws a TypeError or RangeError with `code: 'ERR_CARBON_DESTINATION'` and `index` for a refused
 * destination (a duplicate server and instance, a bad port, more than 32).
 */
export declare class CarbonRouter {
  constructor(destinations: string[], options?: RouterOptions);
  readonly destinations: readonly string[];
  readonly hash: HashType;
  readonly replicationFactor: number;
  /** fnv1a_ch: two destinations with the same (or no) instance name, which share their ring points. */
  readonly fnv1aClash: [number, number] | null;
  /** Destination indices of one path: the first is where carbon-relay sends it, then its replicas. */
  route(path: string): number[];
  /** replicationFactor indices per path, back to back; 255 where a path has fewer destinations. */
  routeMany(paths: string[]): Uint8Array;
  free(): void;
}
