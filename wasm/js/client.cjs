'use strict';
// CarbonClient: sends datapoints to a carbon pickle receiver over TCP or TLS, from Node.
//
// Datapoints go into a FrameEncoder (the wasm core) and come out as frames; frames wait in a bounded queue
// and are written to one connection. There is no acknowledgement in the protocol: the only error signal is
// the receiver closing the connection, and what the kernel had accepted by then may or may not have
// reached the receiver. So the client keeps the frames it wrote recently (the replay window) and, after a
// reconnect, sends them again before anything else, together with any frame whose write had not completed.
// Delivery is at least once: a datapoint can arrive twice (carbon stores the same value again), never zero
// times while the replay window covers what the receiver lost.

const net = require('node:net');
const tls = require('node:tls');
const { EventEmitter } = require('node:events');
const { FrameEncoder } = require('./node.cjs');

const DEFAULTS = Object.freeze({
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
});

const ENCODER_OPTIONS = ['protocol', 'prefix', 'maxBytes', 'maxPoints', 'allowSpaces', 'asciiOnly'];

function parseTarget(to) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(String(to));
  if (!m) throw new TypeError(`target must be host:port, not ${JSON.stringify(to)}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function positive(name, v, { integer = false, zero = false } = {}) {
  if (typeof v !== 'number' || !(zero ? v >= 0 : v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be a ${integer ? 'whole ' : ''}number ${zero ? '>= 0' : '> 0'}, not ${String(v)}`);
  }
  return v;
}

class CarbonClient extends EventEmitter {
  #o;
  #encoder;
  #queue = []; // frames waiting to be written, oldest first: { bytes, points, seq, replay, written }
  #queuedPoints = 0; // datapoints of the queue's new frames (replayed ones are bounded by replayBytes)
  #inflight = []; // written to the current socket, callback not yet called
  #replay = []; // written, kept for the replay window: { bytes, points, seq, at }
  #replayBytes = 0;
  #socket = null;
  #connected = false;
  #connecting = false;
  #closing = false;
  #closed = false;
  #attempt = 0;
  #reconnectTimer = null;
  #flushTimer = null;
  #seq = 0; // sequence number of the last frame queued
  #writtenSeq = 0; // every frame up to this one has been written at least once
  #waiters = []; // { seq, resolve, reject, timer }
  #connectedAt = 0;
  #stats = { points: 0, frames: 0, bytes: 0, dropped: 0, replayedFrames: 0, replayedPoints: 0, connects: 0, disconnects: 0 };

  /**
   * @param {object} options see types/node.d.ts
   */
  constructor(options = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const o = { ...DEFAULTS, ...options };
    if (options.to !== undefined) Object.assign(o, parseTarget(options.to));
    if (typeof o.host !== 'string' || o.host === '') throw new TypeError('host must be a non-empty string');
    positive('port', o.port, { integer: true });
    positive('flushInterval', o.flushInterval, { zero: true });
    positive('maxQueuedPoints', o.maxQueuedPoints, { integer: true });
    positive('replayBytes', o.replayBytes, { integer: true, zero: true });
    positive('replayMs', o.replayMs, { zero: true });
    positive('reconnectInitialDelay', o.reconnectInitialDelay);
    positive('reconnectMaxDelay', o.reconnectMaxDelay);
    positive('connectTimeout', o.connectTimeout);
    if (typeof o.reconnectJitter !== 'number' || o.reconnectJitter < 0 || o.reconnectJitter > 1) {
      throw new RangeError('reconnectJitter must be a number from 0 to 1');
    }
    const encoderOptions = {};
    for (const k of ENCODER_OPTIONS) if (o[k] !== undefined) encoderOptions[k] = o[k];
    this.#encoder = new FrameEncoder(encoderOptions);
    this.#o = Object.freeze(o);
    if (o.flushInterval > 0) {
      this.#flushTimer = setInterval(() => this.#flushOpenFrame(), o.flushInterval);
      this.#flushTimer.unref();
    }
  }

  /** Counters since the client was made. */
  get stats() {
    return {
      ...this.#stats,
      queuedPoints: this.#queuedPoints + this.#encoder.pendingPoints,
      queuedFrames: this.#queue.length,
      replayFrames: this.#replay.length,
      connected: this.#connected,
    };
  }

  /** Datapoints waiting to be written (frames in the queue and the open frame). */
  get queuedPoints() {
    return this.#queuedPoints + this.#encoder.pendingPoints;
  }

  /** True while a connection is up. */
  get connected() {
    return this.#connected;
  }

  /**
   * Queues one datapoint. Returns false (and counts a drop, emitting 'drop') when the queue is full.
   * Throws TypeError/RangeError for a datapoint the encoder refuses.
   */
  send(path, value, timestamp) {
    return this.write({ path, value, timestamp });
  }

  /** Like send, with a `{ path, value, timestamp }` object. */
  write(point) {
    if (this.#closing) throw new Error('the client is closed');
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
    if (this.#closing) throw new Error('the client is closed');
    const n = Array.isArray(points) ? points.length : points?.paths?.length;
    if (typeof n !== 'number') throw new TypeError('datapoints must be an array of { path, value, timestamp } or { paths, values, timestamps }');
    const room = Math.max(0, this.#o.maxQueuedPoints - this.queuedPoints);
    let batch = points;
    if (n > room) {
      batch = Array.isArray(points) ? points.slice(0, room) : sliceColumns(points, room);
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

  /** Resolves when every datapoint queued before the call has been written to a connection. */
  flush({ timeout } = {}) {
    this.#flushOpenFrame();
    return this.#waitWritten(this.#seq, timeout);
  }

  /** Flushes, then closes the connection. Resolves when everything was written and the socket closed. */
  async close({ timeout } = {}) {
    if (this.#closed) return;
    this.#closing = true;
    try {
      await this.flush({ timeout });
    } finally {
      this.#closed = true;
      clearInterval(this.#flushTimer);
      clearTimeout(this.#reconnectTimer);
      const socket = this.#socket;
      if (socket && !socket.destroyed) {
        await new Promise((resolve) => {
          socket.once('close', resolve);
          socket.end();
          setTimeout(() => socket.destroy(), 5000).unref();
        });
      }
      this.#encoder.free();
    }
  }

  /** Drops everything and closes the connection now. */
  destroy() {
    this.#closing = this.#closed = true;
    clearInterval(this.#flushTimer);
    clearTimeout(this.#reconnectTimer);
    this.#socket?.destroy();
    const err = new Error('the client was destroyed');
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  // ---- queue ----

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
    this.#pump();
  }

  #waitWritten(seq, timeout) {
    if (this.#writtenSeq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { seq, resolve, reject, timer: null };
      if (timeout !== undefined) {
        w.timer = setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          const err = new Error(`not everything was written within ${timeout} ms (${this.queuedPoints} datapoints waiting)`);
          err.code = 'ETIMEDOUT';
          reject(err);
        }, timeout);
      }
      this.#waiters.push(w);
    });
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
    for (let i = 0; i < this.#waiters.length; ) {
      const w = this.#waiters[i];
      if (w.seq <= this.#writtenSeq) {
        this.#waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve();
      } else i++;
    }
  }

  #trimReplay() {
    const oldest = Date.now() - this.#o.replayMs;
    while (this.#replay.length > 0 && (this.#replayBytes > this.#o.replayBytes || this.#replay[0].at < oldest)) {
      this.#replayBytes -= this.#replay.shift().bytes.length;
    }
  }

  // ---- connection ----

  #pump() {
    if (this.#closed) return;
    if (!this.#connected) {
      if (this.#queue.length > 0) this.#connect();
      return;
    }
    const socket = this.#socket;
    while (this.#queue.length > 0 && !socket.writableNeedDrain) {
      const frame = this.#queue.shift();
      if (!frame.replay) this.#queuedPoints -= frame.points;
      this.#inflight.push(frame);
      socket.write(frame.bytes, (err) => {
        if (err || socket !== this.#socket) return; // the frame stays in flight and is re-sent
        const i = this.#inflight.indexOf(frame);
        if (i >= 0) this.#inflight.splice(i, 1);
        this.#written(frame);
      });
    }
  }

  #connect() {
    if (this.#connecting || this.#connected || this.#reconnectTimer || this.#closed) return;
    this.#connecting = true;
    const o = this.#o;
    let socket;
    const options = { host: o.host, port: o.port, timeout: o.connectTimeout };
    if (o.tls) {
      const tlsOptions = typeof o.tls === 'object' ? o.tls : {};
      socket = tls.connect({ servername: net.isIP(o.host) ? undefined : o.host, ...options, ...tlsOptions });
      socket.once('secureConnect', () => this.#onConnect(socket));
    } else {
      socket = net.connect(options);
      socket.once('connect', () => this.#onConnect(socket));
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('timeout', () => {
      if (!this.#connected) socket.destroy(new Error(`connection to ${o.host}:${o.port} timed out`));
    });
    socket.on('drain', () => this.#pump());
    socket.on('data', () => {}); // receivers send nothing; reading notices a close promptly
    socket.on('end', () => socket.end());
    socket.on('error', (err) => {
      socket.lastError = err;
    });
    socket.on('close', () => this.#onClose(socket));
  }

  #onConnect(socket) {
    if (socket !== this.#socket) return;
    socket.setTimeout(0);
    socket.setKeepAlive(true, 30000);
    this.#connecting = false;
    this.#connected = true;
    this.#connectedAt = Date.now();
    this.#stats.connects += 1;
    this.emit('connect');
    // What may not have reached the receiver goes first, in the order it was first sent. (The window was
    // measured when the connection was lost: a long outage does not shrink it.)
    const again = this.#replay.splice(0);
    this.#replayBytes = 0;
    for (const f of again) f.replay = true;
    this.#queue.unshift(...again);
    this.#pump();
  }

  #onClose(socket) {
    if (socket !== this.#socket) return;
    const wasConnected = this.#connected;
    this.#socket = null;
    this.#connected = false;
    this.#connecting = false;
    if (wasConnected) this.#stats.disconnects += 1;
    // A connection that lasted is followed by an immediate reconnect; failing to connect, or a receiver
    // that closes at once, backs off.
    const lasted = wasConnected && Date.now() - this.#connectedAt >= 1000;
    this.#attempt = lasted ? 0 : this.#attempt + 1;
    this.emit('disconnect', socket.lastError ?? null);
    if (this.#closed) return;
    // Frames whose write never completed go back to the queue at once; the replay window's frames (older)
    // go in front of them when the connection is back.
    if (this.#inflight.length > 0) {
      const back = this.#inflight.splice(0);
      for (const f of back) if (!f.replay) this.#queuedPoints += f.points;
      this.#queue.unshift(...back);
    }
    if (wasConnected) this.#trimReplay(); // the window ends when the connection was lost
    if (this.#queue.length === 0 && this.#replay.length === 0) return; // idle: connect when there is data
    const base = Math.min(this.#o.reconnectMaxDelay, this.#o.reconnectInitialDelay * 2 ** Math.min(this.#attempt, 30));
    const delay = lasted ? 0 : base * (1 - this.#o.reconnectJitter * Math.random());
    this.emit('reconnecting', { attempt: this.#attempt, delay });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
    this.#reconnectTimer.unref?.();
  }
}

function sliceColumns({ paths, values, timestamps }, n) {
  return {
    paths: paths.slice(0, n),
    values: values.slice(0, n),
    timestamps: typeof timestamps === 'object' && timestamps !== null && !(timestamps instanceof Date) ? timestamps.slice(0, n) : timestamps,
  };
}

module.exports = { CarbonClient, parseTarget };
