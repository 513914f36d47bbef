// The client's transport connection over a Web Streams socket: Deno's `Deno.Conn` and Cloudflare's
// `cloudflare:sockets` Socket both have a `readable` and a `writable`. Writes go through one writer; the
// connection reports itself full (the client waits for 'drain') while more than HIGH_WATER bytes are still
// being written. Reading only notices the receiver closing: receivers send nothing.
// See js/client-core.mjs for the contract.

const HIGH_WATER = 64 * 1024;

/**
 * @param {Promise<{ readable: ReadableStream, writable: WritableStream }>} opening resolves once the socket is
 *   connected (and its TLS handshake done), rejects when it cannot be
 * @param {(socket: object) => void} closeSocket closes the runtime's socket
 */
export function streamConnection(opening, { host, port, connectTimeout }, events, closeSocket) {
  let socket = null;
  let writer = null;
  let state = 'opening'; // 'open', 'ending', 'closed'
  let buffered = 0;
  let full = false;
  let closing = null; // end()'s timer
  const timer = setTimeout(() => finish(new Error(`connection to ${host}:${port} timed out`)), connectTimeout);

  opening.then(
    (s) => {
      clearTimeout(timer);
      if (state === 'closed') return closeSocket(s);
      socket = s;
      writer = s.writable.getWriter();
      state = 'open';
      events.open();
      read(s.readable);
    },
    (err) => finish(err),
  );

  async function read(readable) {
    try {
      const reader = readable.getReader();
      // A pickle receiver never sends a byte: one that does ends the connection (see transport-node.cjs).
      const { done, value } = await reader.read();
      if (done && state === 'open') return finish(null, true); // the receiver closed first
      if (!done) {
        const err = new Error(`${host}:${port} sent ${value?.length ?? 0} bytes: a carbon pickle receiver never sends any (is this the pickle port?)`);
        err.code = 'ERR_CARBON_PROTOCOL';
        reader.cancel().catch(() => {});
        return finish(err);
      }
      finish(null);
    } catch (err) {
      finish(err);
    }
  }

  function finish(err, peerFirst = false) {
    if (state === 'closed') return;
    // While ending, a reset is kept (a receiver that resets the connection after our end did not read it
    // all); any other error is our own closing of the socket under the pending read.
    if (state === 'ending' && err && !/reset|broken ?pipe/i.test(`${err.name} ${err.code} ${err.message}`)) err = null;
    state = 'closed';
    clearTimeout(timer);
    clearTimeout(closing);
    if (socket) closeSocket(socket);
    queueMicrotask(() => events.close(err ?? null, { peerFirst }));
  }

  return {
    write(bytes, done) {
      buffered += bytes.length;
      writer.write(bytes).then(
        () => {
          buffered -= bytes.length;
          done(null);
          if (full && buffered < HIGH_WATER && state === 'open') {
            full = false;
            events.drain();
          }
        },
        (err) => {
          done(err);
          finish(err);
        },
      );
      if (buffered >= HIGH_WATER) full = true;
      return !full;
    },
    end() {
      if (state !== 'open') return finish(null);
      state = 'ending';
      // The write side is closed after the pending writes; the connection is closed once the receiver has
      // closed its side too (it does on our end of stream), so nothing still buffered (TLS records included)
      // is cut off. A receiver that never does is closed after 5 s, as Node's transport does.
      const timer = setTimeout(() => finish(null), 5000);
      writer.close().then(
        () => {},
        (err) => {
          clearTimeout(timer);
          finish(err);
        },
      );
      closing = timer;
    },
    destroy(err) {
      finish(err ?? null);
    },
  };
}
