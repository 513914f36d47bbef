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
      while (!(await reader.read()).done);
      finish(null);
    } catch (err) {
      finish(err);
    }
  }

  function finish(err) {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(timer);
    if (socket) closeSocket(socket);
    queueMicrotask(() => events.close(err ?? null));
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
      writer.close().then(
        () => {
          state = 'open';
          finish(null);
        },
        (err) => {
          state = 'open';
          finish(err);
        },
      );
    },
    destroy(err) {
      finish(err ?? null);
    },
  };
}
