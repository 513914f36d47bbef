'use strict';
// The client's transport over node:net and node:tls (Node; Bun and Deno implement the same modules).
// See js/client-core.mjs for the contract.

const net = require('node:net');
const tls = require('node:tls');

function open({ host, port, tls: tlsOptions, insecure, connectTimeout }, events) {
  let socket;
  let opened = false;
  let lastError = null;
  let weEnded = false; // end() was called
  let peerFirst = false; // the receiver closed its side before we ended ours
  const options = { host, port, timeout: connectTimeout };
  const onOpen = () => {
    opened = true;
    // The connection alone does not hold the process open: a pending flush()/close() does, and a process
    // that runs dry with datapoints queued is held by the client's lifecycle (js/lifecycle-node.cjs).
    socket.unref();
    socket.setTimeout(0);
    socket.setKeepAlive(true, 30000);
    events.open();
  };
  if (tlsOptions) {
    const extra = typeof tlsOptions === 'object' ? tlsOptions : {};
    socket = tls.connect({ servername: net.isIP(host) ? undefined : host, ...options, ...extra, ...(insecure ? { rejectUnauthorized: false } : {}) });
    socket.once('secureConnect', onOpen);
  } else {
    socket = net.connect(options);
    socket.once('connect', onOpen);
  }
  socket.setNoDelay(true);
  socket.on('timeout', () => {
    if (!opened) socket.destroy(new Error(`connection to ${host}:${port} timed out`));
  });
  socket.on('drain', () => events.drain());
  // Reading notices a close promptly. A pickle receiver never sends a byte: one that does is not one (or is
  // hostile), and reading what it sends would cost CPU for nothing, so the connection ends there.
  socket.on('data', (d) => {
    socket.destroy(Object.assign(new Error(`${host}:${port} sent ${d.length} bytes: a carbon pickle receiver never sends any (is this the pickle port?)`), { code: 'ERR_CARBON_PROTOCOL' }));
  });
  socket.on('end', () => {
    peerFirst = !weEnded;
    socket.end();
  });
  socket.on('error', (err) => {
    lastError = err;
  });
  socket.on('close', () => events.close(lastError, { peerFirst }));
  return {
    write: (bytes, done) => socket.write(bytes, done),
    end() {
      weEnded = true;
      if (!opened) return void socket.destroy();
      socket.end();
      setTimeout(() => socket.destroy(), 5000).unref();
    },
    destroy: (err) => socket.destroy(err),
  };
}

module.exports = { open };
