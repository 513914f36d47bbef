// CarbonClient for every runtime: the queue, the replay window, reconnects and backpressure, over a transport
// that the runtime's entry point hands in (node:net/node:tls, Deno.connect, Bun, cloudflare:sockets).
//
// Datapoints go into a FrameEncoder (the wasm core) and come out as frames; frames wait in a bounded queue
// and are written to one connection. There is no acknowledgement in the protocol: the only error signal is
// the receiver closing the connection, and what the kernel had accepted by then may or may not have
// reached the receiver. So the client keeps the frames it wrote recently (the replay window) and, after a
// reconnect, sends them again before anything else, together with any frame whose write had not completed.
// Delivery is at least once: a datapoint can arrive twice (carbon stores the same value again), never zero
// times while the replay window covers what the receiver lost.
//
// Nothing is lost silently: a pending flush(), close() or ready() keeps the process alive until it succeeds
// or its timeout (the option `timeout`, 30 s unless given) rejects it with the count not delivered and the
// last connection error as its `cause`. With nothing pending, neither the client's timers nor its connection
// hold the process open; a process that ends with datapoints still queued (a script that never called
// close()) is held until they are delivered, within `timeout`, or says on stderr how many were not
// (the runtime's `lifecycle`, below). A receiver that cannot be reached is reported once per outage (a
// warning on stderr) unless the caller listens for 'disconnect' or passes `warnings: false`.
//
// A transport is `{ open(target, events) → connection }`:
//   target      { host, port, tls, connectTimeout }
//   events      { open(), drain(), close(error | null, { peerFirst }) }: close comes exactly once, after open or
//               instead of it; peerFirst: the receiver closed its side before the client ended its own
//   connection  write(bytes, done) → false when its buffer is full (then wait for drain); done(error | null)
//               once the bytes were handed to the system; end() closes after pending writes; destroy(error).
//
// Poison frames: a receiver that refuses a frame says so only by closing the connection (carbon does on a
// payload over its PICKLE_RECEIVER_MAX_LENGTH), and the replay window would send that frame again on every
// reconnect, for ever, with everything behind it. So after two connections in a row die young with frames
// written on them, the next connection is careful. It first waits CAREFUL_WAIT_MS with nothing written: a
// receiver that closes it then closes connections by itself (idle timeouts), not because of a frame, and
// careful mode ends. Then it writes frames in groups of 1, 2, 4, ... and watches each group for PROBE_MS
// before the next; a group that survives is cleared (written freely from then on). A connection that dies
// while one frame alone is watched gives that frame a strike, and the next careful connection starts again
// at groups of one after the cleared frames: a binary search. A frame with two strikes is poison: it is
// dropped, counted (stats.dropped, stats.poisonedFrames/poisonedPoints) and reported ('drop' with reason
// 'poison' and the frame's bytes), and the rest goes on. Careful mode ends once every frame queued when it
// began was cleared.
//
// A lifecycle is `{ track(hooks) → untrack(), warn(message, { exiting }) }`: `track` calls hooks.beforeExit() when the
// process is about to end for want of work (it may start more) and hooks.exit() as it exits (synchronous
// only); `warn` writes one line to stderr the runtime's way. workerd has none (a request ends its sockets).
//
// This file has no imports, so the same text serves every runtime (pkg/client-core.cjs, made by the
// build, loads this same file for Node's `require`: js/load.cjs).

export const CLIENT_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 2004,
  tls: false,
  flushInterval: 1000,
  maxQueuedPoints: 100000,
  replayBytes: 4 * 1024 * 1024,
  replayMs: 30000,
  reconnectInitialDelay: 100,
  reconnectMaxDelay: 30000,
  reconnectJitter: 0.5,
  connectTimeout: 10000,
  timeout: 30000,
  warnings: true,
  receiverMaxBytes: 1048576,
  insecureSkipVerify: false,
});

/** carbon's PICKLE_RECEIVER_MAX_LENGTH: one byte more and carbon closes the connection without a word. */
const CARBON_MAX_PAYLOAD = 1048576;
/** How long a careful connection watches each group of frames for the receiver to close. */
const PROBE_MS = 250;
/** How long close() lets a receiver refuse the last frame written before it ends the connection. */
const END_GRACE_MS = 100;
/** How long a careful connection waits before its first frame (a receiver closing it then acts alone). */
const CAREFUL_WAIT_MS = 1000;
/** A connection that lived this long, or survived careful mode, proves the receiver takes what it was sent. */
const HEALTHY_MS = 2000;

const ENCODER_OPTIONS = ['protocol', 'prefix', 'maxBytes', 'maxPoints', 'allowSpaces', 'asciiOnly'];
const CLUSTER_OPTIONS = ['destinations', 'hash', 'replicationFactor', 'diverseReplicas'];
/** The option by which a cluster's per-destination client knows its owner (whose listeners decide warnings). */
const OWNER = Symbol('carbon-pickle cluster owner');
/** Every option a CarbonClient takes (an unknown name is refused, with the nearest of these). */
export const CLIENT_OPTIONS = Object.freeze([
  'to', ...Object.keys(CLIENT_DEFAULTS), 'highWaterMark', 'lowWaterMark', 'globalTags', ...ENCODER_OPTIONS, ...CLUSTER_OPTIONS,
]);

/** An error with a `code`, as Node's own errors carry one. */
function coded(Ctor, code, message, props) {
  const err = new Ctor(message);
  err.code = code;
  if (props) Object.assign(err, props);
  return err;
}

/** "host:port" or "[v6]:port" → { host, port }. */
export function parseTarget(to) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(String(to));
  if (!m) throw coded(TypeError, 'ERR_CARBON_OPTIONS', `target must be "host:port" (or "[v6]:port"), not ${JSON.stringify(String(to).slice(0, 200))}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function positive(name, v, { integer = false, zero = false, infinite = false } = {}) {
  const finite = Number.isFinite(v) || (infinite && v === Infinity);
  if (typeof v !== 'number' || !(zero ? v >= 0 : v > 0) || !finite || (integer && !Number.isInteger(v) && v !== Infinity)) {
    const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 200)) : String(v);
    throw coded(typeof v === 'number' ? RangeError : TypeError, 'ERR_CARBON_OPTIONS',
      `${name} must be a ${integer ? 'whole ' : ''}number ${zero ? '>= 0' : '> 0'}${infinite ? ' (or Infinity)' : ''}, not ${shown}`);
  }
  return v;
}

/** A per-call `{ timeout }` (or the client's default), checked. */
function callTimeout(options, fallback) {
  if (options === null || typeof options !== 'object') throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'options must be an object { timeout }');
  for (const k of Object.keys(options)) {
    if (k !== 'timeout') throw coded(TypeError, 'ERR_CARBON_OPTIONS', `unknown option ${JSON.stringify(k)}; this call takes { timeout } only`, { option: k });
  }
  return options.timeout === undefined ? fallback : positive('timeout', options.timeout, { infinite: true });
}

/** Whether a connection error will not go away by retrying: the runtime refuses the network itself. */
function isPermissionError(err) {
  return err?.name === 'NotCapable' || err?.name === 'PermissionDenied' || err?.code === 'ERR_ACCESS_DENIED';
}

/** Number of datapoints in rows or columns, or undefined for neither. */
function countPoints(points) {
  if (Array.isArray(points)) return points.length;
  const n = points?.paths?.length;
  return typeof n === 'number' ? n : undefined;
}

/** A plain object (not null, not an array). */
function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A datapoint's tags with the client's globalTags under them (a datapoint's own tag wins). */
function mergeTags(globalTags, tags) {
  if (tags === undefined) return globalTags;
  return isObject(tags) ? { ...globalTags, ...tags } : tags; // not an object: the encoder says why
}

/** Datapoints (rows or columns) with the client's globalTags merged into their tags. */
function withGlobalTags(points, globalTags) {
  if (Array.isArray(points)) {
    return points.map((p) => (isObject(p) ? { ...p, tags: mergeTags(globalTags, p.tags) } : p));
  }
  if (!isObject(points)) return points;
  const { tags } = points;
  return { ...points, tags: Array.isArray(tags) ? tags.map((t) => mergeTags(globalTags, t)) : mergeTags(globalTags, tags) };
}

function slicePoints(points, start, end) {
  if (Array.isArray(points)) return points.slice(start, end);
  const { paths, values, timestamps, tags } = points;
  const perPoint = typeof timestamps === 'object' && timestamps !== null && !(timestamps instanceof Date);
  const sliced = { paths: paths.slice(start, end), values: values.slice(start, end), timestamps: perPoint ? timestamps.slice(start, end) : timestamps };
  if (tags !== undefined) sliced.tags = Array.isArray(tags) ? tags.slice(start, end) : tags;
  return sliced;
}

/** The queue level at which writableNeedDrain turns true, unless given: half the bound. */
function defaultHighWaterMark(maxQueuedPoints) {
  return Math.max(1, Math.floor(maxQueuedPoints / 2));
}

/** Holds the process open on a timer (true) or lets it exit (false): Node and Bun timers, Deno's ids. */
function keepAlive(timer, on) {
  if (timer === null || timer === undefined) return;
  if (typeof timer === 'object') {
    if (on) timer.ref?.();
    else timer.unref?.();
  } else if (typeof globalThis.Deno?.unrefTimer === 'function') {
    if (on) globalThis.Deno.refTimer(timer);
    else globalThis.Deno.unrefTimer(timer);
  }
}

/** An EventEmitter's methods, for runtimes without node:events (workerd without nodejs_compat). */
export class Emitter {
  #listeners = new Map();
  #maxListeners = 10;

  on(event, listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, []);
    this.#listeners.get(event).push(listener);
    return this;
  }

  addListener(event, listener) {
    return this.on(event, listener);
  }

  prependListener(event, listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, []);
    this.#listeners.get(event).unshift(listener);
    return this;
  }

  once(event, listener) {
    return this.on(event, this.#onceWrapper(event, listener));
  }

  prependOnceListener(event, listener) {
    return this.prependListener(event, this.#onceWrapper(event, listener));
  }

  #onceWrapper(event, listener) {
    const wrapped = (...args) => {
      this.off(event, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return wrapped;
  }

  off(event, listener) {
    const list = this.#listeners.get(event);
    const i = list ? list.findIndex((l) => l === listener || l.listener === listener) : -1;
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  removeListener(event, listener) {
    return this.off(event, listener);
  }

  removeAllListeners(event) {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event, listener) {
    const list = this.#listeners.get(event) ?? [];
    return listener === undefined ? list.length : list.filter((l) => l === listener || l.listener === listener).length;
  }

  listeners(event) {
    return (this.#listeners.get(event) ?? []).map((l) => l.listener ?? l);
  }

  rawListeners(event) {
    return [...(this.#listeners.get(event) ?? [])];
  }

  eventNames() {
    return [...this.#listeners.keys()].filter((event) => this.#listeners.get(event).length > 0);
  }

  // No leak warning here; kept so that the client has EventEmitter's whole interface in every runtime.
  setMaxListeners(n) {
    this.#maxListeners = n;
    return this;
  }

  getMaxListeners() {
    return this.#maxListeners;
  }

  emit(event, ...args) {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) l.apply(this, args);
    return true;
  }
}

/**
 * Why a flush(), close() or ready() gave up: `code` 'ETIMEDOUT' (its timeout passed) or
 * 'ERR_CARBON_PERMISSION' (the runtime refuses the network), `notDelivered` datapoints, the last connection
 * error as `cause` (and in the message).
 */
function deliveryError(code, what, { notDelivered, cause, address }) {
  const because = cause ? `; last error: ${cause.message ?? String(cause)}` : '';
  const err = new Error(`${what}: ${notDelivered} datapoint${notDelivered === 1 ? '' : 's'} not delivered to ${address}${because}`, cause ? { cause } : undefined);
  err.code = code;
  err.notDelivered = notDelivered;
  if (cause && err.cause === undefined) err.cause = cause;
  return err;
}

/**
 * Makes the CarbonClient class for one runtime.
 * @param {{ FrameEncoder: Function, transport: { open: Function }, EventBase?: Function }} runtime
 */
export function createCarbonClient({ FrameEncoder, transport, EventBase = Emitter, loadRouter, checkOptionNames, lifecycle, tagPath }) {
  /** Checks `globalTags` as the encoder will take them (its own error, as an options error). */
  function checkGlobalTags(globalTags) {
    if (globalTags === undefined) return undefined;
    if (!isObject(globalTags)) throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'globalTags must be an object { tag: value }');
    const encoder = new FrameEncoder();
    try {
      encoder.push({ path: 'globalTags', tags: globalTags, value: 0, timestamp: 0 });
    } catch (err) {
      throw coded(TypeError, 'ERR_CARBON_OPTIONS', `globalTags: ${err.message}`, { cause: err });
    } finally {
      encoder.free();
    }
    return Object.freeze({ ...globalTags });
  }

  class CarbonClient extends EventBase {
    #cluster = null; // with `destinations`: the per-destination clients (see Cluster below)
    #globalTags; // tags added to every datapoint (hot-shots' globalTags), or undefined
    #o;
    #encoder;
    #queue = []; // frames waiting to be written, oldest first: { bytes, points, seq, replay, written }
    #queuedPoints = 0; // datapoints of the queue's new frames (replayed ones are bounded by replayBytes)
    #inflight = []; // written to the current connection, not yet reported done
    #replay = []; // written, kept for the replay window: { bytes, points, seq, at }
    #replayBytes = 0;
    #conn = null;
    #connected = false;
    #connecting = false;
    #canWrite = false; // the connection's buffer has room
    #closing = false;
    #closed = false;
    #attempt = 0;
    #reconnectTimer = null;
    #flushTimer = null;
    #seq = 0; // sequence number of the last frame queued
    #writtenSeq = 0; // every frame up to this one has been written at least once
    #waiters = []; // flush(): { seq, resolve, reject, timer }
    #readyWaiters = []; // ready(): { resolve, reject, timer }
    #idleWaiters = []; // close(): everything written on a live connection, nothing left to replay
    #onEnded = null; // close() ended the connection and waits to hear how the receiver took it
    #needDrain = false;
    #connectedAt = 0;
    #lastError = null; // the last connection error, until a connection succeeds
    #warned = false; // this outage has been reported
    #fatal = null; // an error retrying cannot cure (a permission): pending calls reject with it
    #hold = null; // a referenced timer that holds the process open while a call waits
    #untrack = null; // ends the lifecycle's watch over process exit
    #troubled = 0; // connections in a row that died young with frames written on them
    #careful = false; // this connection writes frames in watched groups (poison frames)
    #carefulUntil = 0; // ... until every frame up to this sequence number was cleared
    #probe = null; // the timer of the first wait or of a watch
    #probing = null; // the group of frames being written and watched
    #group = 1; // the size of the next group
    #wroteOnConn = 0; // frames written on this connection
    #lastWriteAt = 0; // when the kernel last took a frame
    #stats = { points: 0, frames: 0, bytes: 0, dropped: 0, replayedFrames: 0, replayedPoints: 0, poisonedFrames: 0, poisonedPoints: 0, connects: 0, disconnects: 0 };

    /** @param {object} options see types/client.d.ts */
    constructor(options = {}) {
      super();
      if (options === null || typeof options !== 'object') throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'options must be an object');
      checkOptionNames?.(options, CLIENT_OPTIONS);
      this.#globalTags = checkGlobalTags(options.globalTags);
      if (options.destinations !== undefined) {
        if (typeof loadRouter !== 'function') throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'cluster destinations are not supported in this runtime');
        this.#cluster = new Cluster(this, options, CarbonClient, loadRouter(), FrameEncoder, tagPath);
        this.#o = this.#cluster.options;
        return;
      }
      const o = { ...CLIENT_DEFAULTS, ...options };
      for (const k of Object.keys(options)) if (options[k] === undefined) o[k] = CLIENT_DEFAULTS[k];
      if (options.to !== undefined) Object.assign(o, parseTarget(options.to));
      if (options.to !== undefined && (options.host !== undefined || options.port !== undefined)) {
        throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'give either to or host/port, not both');
      }
      if (typeof o.host !== 'string' || o.host === '') throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'host must be a non-empty string');
      positive('port', o.port, { integer: true });
      if (o.port > 65535) throw coded(RangeError, 'ERR_CARBON_OPTIONS', `port must be at most 65535, not ${o.port}`);
      positive('flushInterval', o.flushInterval, { zero: true });
      positive('maxQueuedPoints', o.maxQueuedPoints, { integer: true });
      positive('replayBytes', o.replayBytes, { integer: true, zero: true });
      positive('replayMs', o.replayMs, { zero: true });
      positive('reconnectInitialDelay', o.reconnectInitialDelay);
      positive('reconnectMaxDelay', o.reconnectMaxDelay);
      positive('connectTimeout', o.connectTimeout);
      positive('timeout', o.timeout, { infinite: true });
      if (typeof o.warnings !== 'boolean') throw coded(TypeError, 'ERR_CARBON_OPTIONS', `warnings must be a boolean, not ${String(o.warnings)}`);
      positive('receiverMaxBytes', o.receiverMaxBytes, { integer: true });
      if (o.maxBytes !== undefined && o.maxBytes > o.receiverMaxBytes) {
        throw coded(RangeError, 'ERR_CARBON_OPTIONS', `maxBytes ${o.maxBytes} is more than the receiver takes (receiverMaxBytes ${o.receiverMaxBytes}; ` +
          `carbon closes the connection on a payload over ${CARBON_MAX_PAYLOAD} bytes). If yours takes more (go-carbon: 64 MiB, carbon-relay-ng: ` +
          '500 MiB, carbon with a larger PICKLE_RECEIVER_MAX_LENGTH), say so with receiverMaxBytes');
      }
      if (typeof o.insecureSkipVerify !== 'boolean') throw coded(TypeError, 'ERR_CARBON_OPTIONS', `insecureSkipVerify must be a boolean, not ${String(o.insecureSkipVerify)}`);
      if (o.tls && typeof o.tls === 'object' && o.tls.rejectUnauthorized === false) {
        throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'tls.rejectUnauthorized: false is refused: the prefix (an API key) would go to whoever answers. ' +
          'To turn certificate checks off anyway, say so with insecureSkipVerify: true');
      }
      if (o.insecureSkipVerify && !o.tls) throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'insecureSkipVerify applies to tls connections only');
      if (typeof o.reconnectJitter !== 'number' || o.reconnectJitter < 0 || o.reconnectJitter > 1) {
        throw coded(RangeError, 'ERR_CARBON_OPTIONS', `reconnectJitter must be a number from 0 to 1, not ${String(o.reconnectJitter)}`);
      }
      o.highWaterMark ??= defaultHighWaterMark(o.maxQueuedPoints);
      positive('highWaterMark', o.highWaterMark, { integer: true });
      if (o.highWaterMark > o.maxQueuedPoints) throw coded(RangeError, 'ERR_CARBON_OPTIONS', `highWaterMark (${o.highWaterMark}) must be at most maxQueuedPoints (${o.maxQueuedPoints})`);
      o.lowWaterMark ??= Math.floor(o.highWaterMark / 2);
      positive('lowWaterMark', o.lowWaterMark, { integer: true, zero: true });
      if (o.lowWaterMark >= o.highWaterMark) throw coded(RangeError, 'ERR_CARBON_OPTIONS', `lowWaterMark (${o.lowWaterMark}) must be below highWaterMark (${o.highWaterMark})`);
      if (o.tls !== false && o.tls !== true && (o.tls === null || typeof o.tls !== 'object')) {
        throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'tls must be true, false or an object of TLS options');
      }
      transport.check?.(o);
      if (o.insecureSkipVerify) {
        lifecycle?.warn(`carbon-pickle: TLS certificate verification is off for ${o.host}:${o.port} (insecureSkipVerify): ` +
          'anyone in the path can read the datapoints and the prefix');
      }
      const encoderOptions = {};
      for (const k of ENCODER_OPTIONS) if (o[k] !== undefined) encoderOptions[k] = o[k];
      this.#encoder = new FrameEncoder(encoderOptions);
      this.#o = Object.freeze(o);
      if (o.flushInterval > 0) {
        this.#flushTimer = setInterval(() => this.#flushOpenFrame(), o.flushInterval);
        keepAlive(this.#flushTimer, false);
      }
      this.#untrack = lifecycle?.track({
        beforeExit: () => this.#beforeExit(),
        exit: () => this.#atExit(),
        pending: () => this.#hold !== null, // a call still waits (Deno keeps its loop running for it)
      }) ?? null;
    }

    /** "host:port" of the receiver, for messages. */
    get #address() {
      return this.#o.host.includes(':') ? `[${this.#o.host}]:${this.#o.port}` : `${this.#o.host}:${this.#o.port}`;
    }

    /** Datapoints not yet written: queued, in the open frame, or in flight on a connection. */
    get #notDelivered() {
      let n = this.queuedPoints;
      for (const f of this.#inflight) if (!f.written) n += f.points;
      return n;
    }

    // The process has nothing left to do but datapoints wait: deliver them (within `timeout`), then close.
    #beforeExit() {
      if (this.#closing || this.#notDelivered === 0) return;
      this.close().catch((err) => lifecycle.warn(`carbon-pickle: ${err.message} (the process ended without close())`));
    }

    // The process exits: say what it leaves undelivered (nothing asynchronous can run now).
    #atExit() {
      const n = this.#notDelivered;
      if (n === 0) return;
      const because = this.#lastError ? ` (last error: ${this.#lastError.message})` : '';
      lifecycle.warn(`carbon-pickle: the process exits with ${n} datapoint${n === 1 ? '' : 's'} not delivered to ${this.#address}${because}`, { exiting: true });
    }

    /** Whether the caller listens for `event`: on this client, or on the cluster client that owns it. */
    #callerListens(event) {
      return (this.#o[OWNER] ?? this).listenerCount(event) > 0;
    }

    /** One warning per outage, unless the caller listens for 'disconnect' or said `warnings: false`. */
    #warnUnreachable(err) {
      if (this.#warned || !this.#o.warnings || !lifecycle) return;
      if (this.#callerListens('disconnect')) return;
      this.#warned = true;
      const n = this.#notDelivered;
      lifecycle.warn(`carbon-pickle: cannot reach ${this.#address}: ${err?.message ?? 'the connection closed'}; ` +
        `retrying with back-off (${n} datapoint${n === 1 ? '' : 's'} queued). Listen for 'disconnect' or pass warnings: false to handle this yourself.`);
    }

    /** Counters since the client was made. */
    get stats() {
      if (this.#cluster) return this.#cluster.stats;
      return {
        ...this.#stats,
        queuedPoints: this.queuedPoints,
        queuedFrames: this.#queue.length,
        replayFrames: this.#replay.length,
        connected: this.#connected,
      };
    }

    /** Datapoints waiting to be written (frames in the queue and the open frame). */
    get queuedPoints() {
      if (this.#cluster) return this.#cluster.sum((l) => l.queuedPoints);
      return this.#queuedPoints + this.#encoder.pendingPoints;
    }

    /** True while a connection is up. */
    get connected() {
      if (this.#cluster) return this.#cluster.lanes.every((l) => l.connected);
      return this.#connected;
    }

    /** True from the moment the queue reaches highWaterMark until it falls to lowWaterMark ('drain'). */
    get writableNeedDrain() {
      if (this.#cluster) return this.#cluster.lanes.some((l) => l.writableNeedDrain);
      return this.#needDrain;
    }

    /**
     * Queues one datapoint. Returns false (and counts a drop, emitting 'drop') when the queue is full.
     * Throws TypeError/RangeError for a datapoint the encoder refuses.
     */
    send(path, value, timestamp) {
      return this.write({ path, value, timestamp });
    }

    /** Like send, with a `{ path, value, timestamp, tags }` object. */
    write(point) {
      if (this.#globalTags && isObject(point)) point = { ...point, tags: mergeTags(this.#globalTags, point.tags) };
      if (this.#cluster) return this.#cluster.writeMany([point]) === 1;
      this.#open();
      if (this.queuedPoints >= this.#o.maxQueuedPoints) {
        this.#drop(1, 'queue full');
        return false;
      }
      this.#enqueue(this.#encoder.push(point));
      return true;
    }

    /**
     * Queues datapoints in any form encodeFrames takes. Returns how many were queued; the rest (from the end
     * of the batch) are dropped and counted when the queue is full. On a refused datapoint, the ones before
     * it are queued and the error is thrown.
     */
    writeMany(points) {
      if (this.#globalTags) points = withGlobalTags(points, this.#globalTags);
      if (this.#cluster) return this.#cluster.writeMany(points);
      this.#open();
      const n = countPoints(points);
      if (n === undefined) throw coded(TypeError, 'ERR_INVALID_ARG_TYPE', 'datapoints must be an array of { path, value, timestamp } or { paths, values, timestamps }');
      const room = Math.max(0, this.#o.maxQueuedPoints - this.queuedPoints);
      let batch = points;
      if (n > room) {
        batch = slicePoints(points, 0, room);
        this.#drop(n - room, 'queue full');
      }
      if (room > 0) {
        try {
          this.#enqueue(this.#encoder.pushMany(batch));
        } catch (err) {
          this.#enqueue(this.#encoder.pushMany([])); // frames finished before the refused datapoint
          throw err;
        }
      }
      return Math.min(n, room);
    }

    /**
     * Resolves when the queue has room: at once below highWaterMark, otherwise once it has fallen to
     * lowWaterMark ('drain'). Rejects after `timeout` ms if given, or when the client is closed.
     */
    ready(options = {}) {
      const timeout = callTimeout(options, this.#o.timeout);
      if (this.#cluster) return Promise.all(this.#cluster.lanes.map((l) => l.ready({ timeout }))).then(() => undefined);
      if (this.#closed) return Promise.reject(coded(Error, 'ERR_CARBON_CLOSED', 'the client is closed'));
      if (!this.#needDrain) return Promise.resolve();
      // The open frame goes out too, so that a partly filled frame cannot hold the queue above the mark.
      this.#flushOpenFrame();
      if (!this.#needDrain) return Promise.resolve();
      return this.#wait(this.#readyWaiters, {}, timeout, 'the queue had no room');
    }

    /**
     * Writes every datapoint of an iterable or async iterable (of datapoints, arrays of them, or columns),
     * waiting for room instead of dropping. Resolves with the number written once all were flushed.
     */
    async pipeFrom(source, options = {}) {
      const timeout = callTimeout(options, this.#o.timeout);
      let total = 0;
      for await (const item of source) total += await this.#writeWaiting(item, timeout);
      await this.flush({ timeout });
      return total;
    }

    /**
     * A WritableStream of datapoints (or arrays or columns of them) that waits for room instead of
     * dropping; closing it flushes the client (it does not close the client).
     */
    writable(options = {}) {
      const timeout = callTimeout(options, this.#o.timeout);
      if (typeof globalThis.WritableStream !== 'function') throw coded(TypeError, 'ERR_CARBON_UNSUPPORTED', 'this runtime has no WritableStream');
      return new globalThis.WritableStream(
        {
          write: (item) => this.#writeWaiting(item, timeout).then(() => undefined),
          close: () => this.flush({ timeout }),
        },
        { highWaterMark: 1 },
      );
    }

    /** Resolves when every datapoint queued before the call has been written to a connection. */
    flush(options = {}) {
      const timeout = callTimeout(options, this.#o.timeout);
      if (this.#cluster) return this.#cluster.all((l) => l.flush({ timeout }));
      this.#fatal = null; // a new call tries again (the caller may have fixed the permission)
      this.#flushOpenFrame();
      return this.#waitWritten(this.#seq, timeout);
    }

    /**
     * Flushes, then closes the connection. Resolves when everything was written and the connection closed;
     * rejects after `timeout` ms if given (the datapoints not written stay counted in `stats.queuedPoints`).
     */
    async close(options = {}) {
      const timeout = callTimeout(options, this.#o.timeout);
      if (this.#cluster) return this.#cluster.all((l) => l.close({ timeout }));
      if (this.#closed) return;
      this.#closing = true;
      const deadline = Date.now() + timeout;
      try {
        await this.flush({ timeout });
        // "Written" only means the kernel took the bytes. Ending the connection asks the receiver: carbon closes
        // its side once it has read everything before our end (a clean close), while a receiver that refused a
        // frame resets the connection with our bytes unread. Until an end is clean, the replay window goes again.
        for (;;) {
          await this.#waitIdle(deadline);
          if ((await this.#end(deadline)) === null) break;
        }
      } catch (err) {
        this.#conn?.destroy(); // given up: nothing more to wait for
        throw err;
      } finally {
        this.#closed = true;
        this.#untrack?.();
        this.#untrack = null;
        clearInterval(this.#flushTimer);
        clearTimeout(this.#reconnectTimer);
        this.#reconnectTimer = null;
        this.#rejectReady(coded(Error, 'ERR_CARBON_CLOSED', 'the client is closed'));
        const conn = this.#conn;
        if (conn) {
          await new Promise((resolve) => {
            this.#onClosed = resolve;
            this.#holdOpen(); // the connection does not hold the process; ending it must
            conn.destroy();
          });
        }
        this.#encoder.free();
      }
    }

    /** Drops everything and closes the connection now. */
    destroy() {
      if (this.#cluster) return void this.#cluster.lanes.forEach((l) => l.destroy());
      this.#closing = this.#closed = true;
      this.#untrack?.();
      this.#untrack = null;
      clearInterval(this.#flushTimer);
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
      this.#conn?.destroy();
      const err = coded(Error, 'ERR_CARBON_CLOSED', 'the client was destroyed');
      for (const w of [...this.#waiters.splice(0), ...this.#idleWaiters.splice(0)]) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      this.#rejectReady(err);
    }

    // ---- queue ----

    #open() {
      if (this.#closing) throw coded(Error, 'ERR_CARBON_CLOSED', 'the client is closed');
    }

    /** Writes one item of pipeFrom() or writable(), waiting for room first; batches are cut to what fits. */
    async #writeWaiting(item, timeout) {
      // After ready(), the queue is below highWaterMark: a batch of the rest of the bound always fits.
      const chunk = Math.max(1, this.#o.maxQueuedPoints - this.#o.highWaterMark);
      const n = countPoints(item);
      if (n === undefined) {
        if (this.writableNeedDrain) await this.ready({ timeout });
        if (!this.write(item)) throw coded(Error, 'ERR_CARBON_DROPPED', 'datapoint dropped');
        return 1;
      }
      for (let start = 0; start < n; start += chunk) {
        if (this.writableNeedDrain) await this.ready({ timeout });
        const part = start === 0 && n <= chunk ? item : slicePoints(item, start, Math.min(n, start + chunk));
        const m = countPoints(part);
        if (this.writeMany(part) !== m) throw coded(Error, 'ERR_CARBON_DROPPED', 'datapoints dropped');
      }
      return n;
    }

    #drop(points, reason) {
      this.#stats.dropped += points;
      this.emit('drop', { points, reason, total: this.#stats.dropped });
    }

    #flushOpenFrame() {
      if (this.#encoder.pendingPoints > 0) this.#enqueue(this.#encoder.flush());
      else this.#pump();
    }

    #enqueue(frames) {
      for (const bytes of frames) {
        const points = bytes.points;
        this.#queue.push({ bytes, points, seq: ++this.#seq, replay: false, written: false });
        this.#queuedPoints += points;
      }
      if (!this.#needDrain && this.queuedPoints >= this.#o.highWaterMark) this.#needDrain = true;
      this.#pump();
    }

    #checkDrain() {
      if (!this.#needDrain) return;
      if (this.#queuedPoints === 0 && this.#encoder.pendingPoints > this.#o.lowWaterMark) {
        this.#enqueue(this.#encoder.flush());
        return;
      }
      if (this.queuedPoints > this.#o.lowWaterMark) return;
      this.#needDrain = false;
      const ready = this.#readyWaiters.splice(0);
      for (const w of ready) {
        clearTimeout(w.timer);
        w.resolve();
      }
      this.#holdOpen();
      this.emit('drain');
    }

    #rejectReady(err) {
      for (const w of this.#readyWaiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      this.#holdOpen();
    }

    #waitWritten(seq, timeout) {
      if (this.#writtenSeq >= seq) return Promise.resolve();
      return this.#wait(this.#waiters, { seq }, timeout, 'not everything was written');
    }

    /** A promise in `list` (settled by whoever empties it) that rejects after `timeout` ms (unless Infinity). */
    #wait(list, entry, timeout, what) {
      if (this.#fatal) return Promise.reject(this.#failure('ERR_CARBON_PERMISSION', 'the runtime refuses the connection', this.#fatal));
      return new Promise((resolve, reject) => {
        const w = { ...entry, resolve, reject, timer: null };
        if (timeout !== Infinity) {
          w.timer = setTimeout(() => {
            const i = list.indexOf(w);
            if (i >= 0) list.splice(i, 1);
            this.#holdOpen();
            reject(this.#failure('ETIMEDOUT', `${what} within ${timeout} ms`, this.#lastError));
          }, timeout);
        }
        list.push(w);
        this.#holdOpen();
      });
    }

    #failure(code, what, cause) {
      return deliveryError(code, what, { notDelivered: this.#notDelivered, cause, address: this.#address });
    }

    /** Rejects every pending flush, close and ready: the runtime refuses the network (retrying cannot help). */
    #giveUp(err) {
      this.#fatal = err;
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
      for (const list of [this.#waiters, this.#readyWaiters]) {
        for (const w of list.splice(0)) {
          clearTimeout(w.timer);
          w.reject(this.#failure('ERR_CARBON_PERMISSION', 'the runtime refuses the connection', err));
        }
      }
      this.#holdOpen();
    }

    /** A pending flush, close or ready holds the process open (a referenced timer) until it settles. */
    #holdOpen() {
      const waiting = this.#waiters.length + this.#readyWaiters.length + this.#idleWaiters.length > 0 || this.#onClosed !== null || this.#onEnded !== null;
      if (waiting && this.#hold === null) {
        this.#hold = setInterval(() => {}, 1 << 30);
      } else if (!waiting && this.#hold !== null) {
        clearInterval(this.#hold);
        this.#hold = null;
      }
    }

    #written(frame) {
      if (frame.written) {
        this.#stats.replayedFrames += 1;
        this.#stats.replayedPoints += frame.points;
      } else {
        frame.written = true;
        this.#stats.points += frame.points;
        this.#stats.frames += 1;
        this.#stats.bytes += frame.bytes.length;
      }
      if (frame.seq > this.#writtenSeq) this.#writtenSeq = frame.seq;
      if (this.#o.replayBytes > 0 && this.#o.replayMs > 0) {
        frame.at = Date.now();
        this.#replay.push(frame);
        this.#replayBytes += frame.bytes.length;
        this.#trimReplay();
      }
      this.#settleWaiters();
    }

    /** Nothing queued, in flight or being watched on a live connection; or, unconnected, nothing to replay. */
    #idle() {
      if (this.#queue.length > 0 || this.#inflight.length > 0 || this.#encoder.pendingPoints > 0) return false;
      if (this.#connected) return this.#probe === null && this.#probing === null;
      return this.#replay.length === 0;
    }

    /** close(): waits until #idle(), reconnecting to replay what a lost connection may not have delivered. */
    #waitIdle(deadline) {
      if (this.#idle()) return Promise.resolve();
      if (!this.#connected && !this.#connecting && this.#reconnectTimer === null) this.#connect();
      return this.#wait(this.#idleWaiters, {}, Math.max(0, deadline - Date.now()), 'not everything was delivered');
    }

    #checkIdle() {
      if (this.#idleWaiters.length === 0 || !this.#idle()) return;
      for (const w of this.#idleWaiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve();
      }
      this.#holdOpen();
    }

    /** close(): ends the connection; resolves with null when the receiver closed its side cleanly, else the error. */
    async #end(deadline) {
      // A receiver that refuses a frame closes moments after reading it. Ending at once could cross its close
      // and look like a clean answer, so the last frame gets END_GRACE_MS to be refused first (short of any
      // receiver's idle timeout: a receiver closing the connection first is not an answer either).
      const grace = Math.min(END_GRACE_MS - (Date.now() - this.#lastWriteAt), deadline - Date.now());
      if (grace > 0 && this.#connected) await new Promise((r) => setTimeout(r, grace)); // (referenced: holds the process)
      if (!this.#idle()) return new Error('the connection was lost before it could be ended'); // replay, then again
      const conn = this.#conn;
      if (conn === null || !this.#connected) return null; // (#idle(): nothing left to replay)
      return new Promise((resolve) => {
        this.#onEnded = resolve;
        this.#holdOpen();
        conn.end();
        const left = deadline - Date.now();
        if (left < 2 ** 31) {
          const late = () => conn.destroy(this.#failure('ETIMEDOUT', 'the receiver did not close its side', null));
          keepAlive(setTimeout(late, Math.max(0, left)), false);
        }
      });
    }

    /** Resolves the flush() calls whose frames have all been written (or dropped as poison). */
    #settleWaiters() {
      this.#checkIdle();
      for (let i = 0; i < this.#waiters.length; ) {
        const w = this.#waiters[i];
        if (w.seq <= this.#writtenSeq) {
          this.#waiters.splice(i, 1);
          clearTimeout(w.timer);
          w.resolve();
        } else i++;
      }
      this.#holdOpen();
    }

    #trimReplay() {
      const oldest = Date.now() - this.#o.replayMs;
      while (this.#replay.length > 0 && (this.#replayBytes > this.#o.replayBytes || this.#replay[0].at < oldest)) {
        this.#replayBytes -= this.#replay.shift().bytes.length;
      }
    }

    // ---- connection ----

    #onClosed = null; // close() waits for the connection to end

    #pump() {
      if (this.#closed && !this.#conn) return;
      if (!this.#connected) {
        if (this.#queue.length > 0 && !this.#closed) this.#connect();
        return;
      }
      const conn = this.#conn;
      while (this.#queue.length > 0 && this.#canWrite) {
        let group = null; // careful: the group this frame ends, which is then watched
        if (this.#careful && !this.#queue[0].cleared) {
          if (this.#probe !== null || this.#probing?.closed) break; // the group is written, then watched
          this.#probing ??= [];
          this.#probing.push(this.#queue[0]);
          if (this.#probing.length === this.#group || this.#queue.length === 1) {
            group = this.#probing;
            group.closed = true;
          }
        }
        const frame = this.#queue.shift();
        if (!frame.replay) this.#queuedPoints -= frame.points;
        this.#inflight.push(frame);
        this.#wroteOnConn += 1;
        this.#canWrite = conn.write(frame.bytes, (err) => {
          if (err || conn !== this.#conn) return; // the frame stays in flight and is sent again
          const i = this.#inflight.indexOf(frame);
          if (i >= 0) this.#inflight.splice(i, 1);
          this.#lastWriteAt = Date.now();
          this.#written(frame);
          if (group !== null && this.#probing === group) this.#watch(group);
          this.#checkDrain();
        });
      }
      if (this.#careful && this.#probe === null && this.#probing === null && !this.#queue.some((f) => !f.cleared)) this.#endCareful();
      this.#checkDrain();
      this.#checkIdle();
    }

    // ---- poison frames ----

    /** A careful connection watches the group it just wrote: if the receiver closes now, the group is suspect. */
    #watch(group) {
      clearTimeout(this.#probe);
      this.#probe = setTimeout(() => {
        this.#probe = null;
        this.#probing = null;
        for (const f of group) {
          f.cleared = true;
          f.strikes = 0;
        }
        this.#group *= 2;
        if (group.at(-1).seq >= this.#carefulUntil) this.#endCareful();
        this.#pump();
        this.#checkIdle();
      }, PROBE_MS);
      keepAlive(this.#probe, false);
    }

    #endCareful() {
      this.#careful = false;
      this.#troubled = 0;
      clearTimeout(this.#probe);
      this.#probe = null;
      this.#probing = null;
    }

    /** The connection died while `frame` was watched (twice now): drop it, count it, say so, go on. */
    #dropPoison(frame) {
      const remove = (list) => {
        const i = list.indexOf(frame);
        if (i >= 0) list.splice(i, 1);
        return i >= 0;
      };
      if (remove(this.#queue) && !frame.replay) this.#queuedPoints -= frame.points;
      if (remove(this.#replay)) this.#replayBytes -= frame.bytes.length;
      remove(this.#inflight);
      this.#stats.poisonedFrames += 1;
      this.#stats.poisonedPoints += frame.points;
      this.#stats.dropped += frame.points;
      // flush() calls waiting for it are settled by it: it will never be written again.
      const older = [...this.#queue, ...this.#inflight].some((f) => !f.written && f.seq < frame.seq);
      if (!older && frame.seq > this.#writtenSeq) this.#writtenSeq = frame.seq;
      this.#settleWaiters();
      const info = { points: frame.points, reason: 'poison', total: this.#stats.dropped, frame: frame.bytes };
      this.emit('drop', info);
      if (!this.#callerListens('drop') && this.#o.warnings) {
        lifecycle?.warn(`carbon-pickle: ${this.#address} closed the connection twice right after the same frame ` +
          `(${frame.bytes.length - 4} payload bytes, ${frame.points} datapoints): dropped it as poison and went on. ` +
          `Is its maximum frame size (carbon: PICKLE_RECEIVER_MAX_LENGTH) below maxBytes (${this.#o.maxBytes ?? CARBON_MAX_PAYLOAD})?`);
      }
    }

    #connect() {
      if (this.#connecting || this.#connected || this.#reconnectTimer || this.#closed) return;
      this.#connecting = true;
      const o = this.#o;
      let conn = null;
      const events = {
        open: () => {
          if (conn === this.#conn) this.#onConnect();
        },
        drain: () => {
          if (conn !== this.#conn) return;
          this.#canWrite = true;
          this.#pump();
        },
        close: (err, info) => {
          if (conn === this.#conn) this.#onClose(err, info);
        },
      };
      try {
        conn = transport.open({ host: o.host, port: o.port, tls: o.tls, insecure: o.insecureSkipVerify, connectTimeout: o.connectTimeout }, events);
      } catch (err) {
        // A runtime that refuses the target outright (a permission, an address it will not reach):
        // reported like a failed connection, and retried with back-off.
        conn = { write: () => false, end() {}, destroy() {} };
        this.#conn = conn;
        queueMicrotask(() => events.close(err));
        return;
      }
      this.#conn = conn;
    }

    #onConnect() {
      this.#connecting = false;
      this.#connected = true;
      this.#canWrite = true;
      this.#connectedAt = Date.now();
      this.#stats.connects += 1;
      this.#lastError = null;
      this.#warned = false;
      this.#wroteOnConn = 0;
      if (this.#troubled >= 2) {
        // Careful: first make sure the receiver keeps a connection it was sent nothing on, then watched groups.
        this.#careful = true;
        this.#carefulUntil = this.#seq;
        this.#probing = null;
        this.#group = 1;
        this.#probe = setTimeout(() => {
          this.#probe = null;
          this.#pump();
        }, CAREFUL_WAIT_MS);
        keepAlive(this.#probe, false);
      }
      this.emit('connect');
      // What may not have reached the receiver goes first, in the order it was first sent. (The window was
      // measured when the connection was lost: a long outage does not shrink it.)
      const again = this.#replay.splice(0);
      this.#replayBytes = 0;
      for (const f of again) f.replay = true;
      this.#queue.unshift(...again);
      this.#pump();
    }

    #onClose(err, { peerFirst = false } = {}) {
      const wasConnected = this.#connected;
      this.#conn = null;
      this.#connected = false;
      this.#connecting = false;
      this.#canWrite = false;
      if (wasConnected) this.#stats.disconnects += 1;
      // A connection that lasted is followed by an immediate reconnect; failing to connect, or a receiver
      // that closes at once, backs off.
      const lasted = wasConnected && Date.now() - this.#connectedAt >= 1000;
      this.#attempt = lasted ? 0 : this.#attempt + 1;
      // close() ended this connection: cleanly (the receiver read it all), or with an error (it did not).
      const ended = this.#onEnded;
      this.#onEnded = null;
      // (A receiver that closed before our end did not answer it: it may have refused a frame.)
      const cleanEnd = ended !== null && !err && !peerFirst;
      // Poison frames (see the top of this file): who closed, how young, after which frame.
      let poison = null;
      if (wasConnected && !this.#closed && !cleanEnd) {
        const young = Date.now() - this.#connectedAt < HEALTHY_MS;
        if (this.#careful && this.#wroteOnConn === 0) {
          this.#troubled = 0; // closed before anything was written: the receiver closes connections by itself
        } else if (this.#careful) {
          if (this.#probing?.length === 1) {
            const f = this.#probing[0];
            f.strikes = (f.strikes ?? 0) + 1;
            if (f.strikes >= 2) poison = f;
          }
          this.#troubled = Math.max(this.#troubled, 2); // the search goes on on the next connection
        } else if (this.#wroteOnConn > 0 && young) this.#troubled += 1;
        else if (!young) this.#troubled = 0;
      }
      clearTimeout(this.#probe);
      this.#probe = null;
      this.#probing = null;
      this.#careful = false;
      if (err) this.#lastError = err;
      this.emit('disconnect', err ?? null);
      if (err && !this.#closed) this.#warnUnreachable(err);
      // Frames whose write never completed go back to the queue at once; the replay window's frames (older)
      // go in front of them when the connection is back.
      if (this.#inflight.length > 0) {
        const back = this.#inflight.splice(0);
        for (const f of back) if (!f.replay) this.#queuedPoints += f.points;
        this.#queue.unshift(...back);
      }
      if (this.#onClosed) {
        const done = this.#onClosed;
        this.#onClosed = null;
        done();
        this.#holdOpen();
      }
      if (poison) this.#dropPoison(poison);
      if (cleanEnd) {
        this.#replay = []; // the receiver read everything: nothing to send again
        this.#replayBytes = 0;
      }
      if (ended) ended(err ?? null);
      if (this.#closed || cleanEnd) return;
      if (wasConnected) this.#trimReplay(); // the window ends when the connection was lost
      if (this.#queue.length === 0 && this.#replay.length === 0) return; // idle: connect when there is data
      if (isPermissionError(err)) return this.#giveUp(err); // until a new call asks again
      const base = Math.min(this.#o.reconnectMaxDelay, this.#o.reconnectInitialDelay * 2 ** Math.min(this.#attempt, 30));
      const delay = lasted ? 0 : base * (1 - this.#o.reconnectJitter * Math.random());
      this.emit('reconnecting', { attempt: this.#attempt, delay });
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = null;
        this.#connect();
      }, delay);
      keepAlive(this.#reconnectTimer, false); // a pending call holds the process (#holdOpen), not the retry
    }
  }
  return CarbonClient;
}

/** `HOST:PORT[:INSTANCE]` (IPv6 as `[::1]:2004:a`) → { host, port, instance }. */
export function parseDestination(text) {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)(?::(.*))?$/.exec(String(text).trim());
  if (!m) throw coded(TypeError, 'ERR_CARBON_OPTIONS', `destination must be HOST:PORT[:INSTANCE], not ${JSON.stringify(String(text).slice(0, 200))}`);
  return { host: m[1] ?? m[2], port: Number(m[3]), instance: m[4] };
}

/**
 * A CarbonClient with `destinations`: one single-destination client per carbon-cache (its own connection,
 * bounded queue and replay window, so a destination that is down never delays the others), and every
 * datapoint routed to the caches carbon-relay would pick (CarbonRouter: carbon_ch, fnv1a_ch or
 * jump_fnv1a_ch, with replication). Events carry `{ destination, index }`; drops and stats are per
 * destination. A batch is checked whole before any of it is routed, so a refused datapoint leaves the
 * ones before it queued everywhere and nothing after it.
 */
class Cluster {
  constructor(owner, options, CarbonClient, CarbonRouter, FrameEncoder, tagPath) {
    this.tagPath = tagPath ?? ((path) => path);
    const { destinations, hash = 'carbon_ch', replicationFactor = 1, diverseReplicas = true } = options;
    for (const k of ['to', 'host', 'port']) {
      if (options[k] !== undefined) throw coded(TypeError, 'ERR_CARBON_OPTIONS', `give either destinations or ${k}, not both`);
    }
    if (!Array.isArray(destinations) || destinations.length === 0) throw coded(TypeError, 'ERR_CARBON_OPTIONS', 'destinations must be a non-empty array of "HOST:PORT[:INSTANCE]"');
    const laneOptions = { ...options };
    for (const k of CLUSTER_OPTIONS) delete laneOptions[k];
    delete laneOptions.globalTags; // the owner adds them before routing
    const targets = destinations.map(parseDestination);
    this.router = new CarbonRouter(destinations, { hash, replicationFactor, diverseReplicas, prefix: options.prefix });
    this.destinations = this.router.destinations;
    this.lanes = targets.map(({ host, port }) => new CarbonClient({ ...laneOptions, host, port, [OWNER]: owner }));
    // Checks a whole batch before routing any of it (the lanes' encoders would refuse it part-way).
    const encoderOptions = {};
    for (const k of ENCODER_OPTIONS) if (options[k] !== undefined) encoderOptions[k] = options[k];
    this.checker = new FrameEncoder({ ...encoderOptions, maxPoints: CLIENT_DEFAULTS.maxQueuedPoints });
    const maxQueuedPoints = options.maxQueuedPoints ?? CLIENT_DEFAULTS.maxQueuedPoints;
    const highWaterMark = options.highWaterMark ?? defaultHighWaterMark(maxQueuedPoints);
    this.options = Object.freeze({ ...CLIENT_DEFAULTS, ...laneOptions, maxQueuedPoints, highWaterMark, hash, replicationFactor, diverseReplicas });
    this.dropped = 0;
    this.lanes.forEach((lane, index) => {
      const destination = this.destinations[index];
      const info = { destination, index };
      lane.on('connect', () => owner.emit('connect', info));
      lane.on('disconnect', (err) => owner.emit('disconnect', err, info));
      lane.on('reconnecting', (r) => owner.emit('reconnecting', { ...r, ...info }));
      lane.on('drop', ({ points, reason }) => {
        this.dropped += points;
        owner.emit('drop', { points, reason, total: this.dropped, ...info });
      });
      lane.on('drain', () => {
        if (!this.lanes.some((l) => l.writableNeedDrain)) owner.emit('drain');
      });
    });
    const clash = hash === 'fnv1a_ch' ? this.router.fnv1aClash : null;
    if (clash) {
      // fnv1a_ch hashes the instance name alone: two destinations with the same (or no) instance share
      // their ring points, and one of them gets nothing. Carbon does the same; say so once.
      queueMicrotask(() => owner.emit('warning', new Error(`fnv1a_ch: destinations ${clash[0]} and ${clash[1]} have the same instance name (or none), so one of them gets no metrics`)));
    }
  }

  sum(f) {
    return this.lanes.reduce((n, l) => n + f(l), 0);
  }

  /** Runs `f` on every lane; resolves when all did, or rejects with the first failure once all settled. */
  async all(f) {
    const results = await Promise.allSettled(this.lanes.map(f));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const err = results[failed].reason;
      err.destination = this.destinations[failed];
      throw err;
    }
  }

  get stats() {
    const per = this.lanes.map((l, index) => ({ destination: this.destinations[index], ...l.stats }));
    const total = {};
    for (const k of ['points', 'frames', 'bytes', 'dropped', 'replayedFrames', 'replayedPoints', 'poisonedFrames', 'poisonedPoints', 'connects', 'disconnects', 'queuedPoints', 'queuedFrames', 'replayFrames']) {
      total[k] = per.reduce((n, s) => n + s[k], 0);
    }
    return { ...total, connected: per.every((s) => s.connected), destinations: per };
  }

  /** Routes and queues datapoints (rows or columns); returns how many were queued at every destination. */
  writeMany(points) {
    const n = countPoints(points);
    if (n === undefined) throw coded(TypeError, 'ERR_INVALID_ARG_TYPE', 'datapoints must be an array of { path, value, timestamp } or { paths, values, timestamps }');
    const rows = Array.isArray(points);
    let refused = null;
    let take = n;
    try {
      this.checker.pushMany(points);
    } catch (err) {
      if (typeof err.index !== 'number') throw err;
      refused = err;
      take = err.index;
    } finally {
      this.checker.flush();
    }
    // The names routed are the tagged paths the encoder gets (the router hashes them in carbon's order).
    const tagged = (path, tags) => (tags === undefined ? path : this.tagPath(path, tags));
    const paths = rows
      ? points.slice(0, take).map((p) => tagged(p.path, p.tags))
      : points.paths.slice(0, take).map((path, i) => tagged(path, Array.isArray(points.tags) ? points.tags[i] : points.tags));
    const placed = this.router.routeMany(paths);
    const per = this.router.replicationFactor;
    const lists = this.lanes.map(() => []);
    for (let i = 0; i < take; i++) {
      for (let r = 0; r < per; r++) {
        const d = placed[i * per + r];
        if (d !== 255) lists[d].push(i);
      }
    }
    const lost = new Set();
    lists.forEach((idx, d) => {
      if (idx.length === 0) return;
      const part = rows ? idx.map((i) => points[i]) : pickColumns(points, idx);
      const accepted = this.lanes[d].writeMany(part);
      for (let k = accepted; k < idx.length; k++) lost.add(idx[k]);
    });
    if (refused) throw refused;
    return take - lost.size;
  }
}

function pickColumns({ paths, values, timestamps, tags }, idx) {
  const perPoint = typeof timestamps === 'object' && timestamps !== null && !(timestamps instanceof Date);
  return {
    paths: idx.map((i) => paths[i]),
    values: idx.map((i) => values[i]),
    timestamps: perPoint ? idx.map((i) => timestamps[i]) : timestamps,
    ...(tags === undefined ? {} : { tags: Array.isArray(tags) ? idx.map((i) => tags[i]) : tags }),
  };
}

/**
 * Makes the one-shot `send(points, options)` for a CarbonClient class: connects, writes every datapoint,
 * closes, and resolves with what was written. For request-scoped runtimes (a Worker's request, a
 * serverless function), where no connection outlives the call.
 */
export function createSend(CarbonClient) {
  return async function send(points, options = {}) {
    const total = countPoints(points);
    if (total === undefined) throw coded(TypeError, 'ERR_INVALID_ARG_TYPE', 'datapoints must be an array of { path, value, timestamp } or { paths, values, timestamps }');
    const clientOptions = options ?? {};
    const maxQueuedPoints = Math.max(total, clientOptions.maxQueuedPoints ?? CLIENT_DEFAULTS.maxQueuedPoints);
    // The returned promise reports failure, so no warning on stderr besides (unless asked for).
    const client = new CarbonClient({ flushInterval: 0, warnings: false, ...clientOptions, maxQueuedPoints, highWaterMark: maxQueuedPoints, lowWaterMark: 0 });
    try {
      // Every datapoint is encoded before the connection opens: a refused one throws and nothing is sent.
      client.writeMany(points);
      await client.close(); // within the `timeout` option (30 s unless given)
    } catch (err) {
      const written = client.stats.points;
      client.destroy();
      err.points = total;
      err.notDelivered = total - written;
      throw err;
    }
    const { points: written, frames, bytes, connects } = client.stats;
    return { points: written, frames, bytes, connects };
  };
}
