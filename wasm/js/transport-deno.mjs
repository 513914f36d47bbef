// The client's transport on Deno: Deno.connect / Deno.connectTls, which need only `--allow-net`.
// TLS options: `caCerts` (PEM strings), or Node's `ca` (PEM string, Uint8Array or an array of them), and
// `servername` (the name to verify when connecting by address; the connection then starts TLS itself).
import { streamConnection } from './transport-streams.mjs';

const text = (pem) => (typeof pem === 'string' ? pem : new TextDecoder().decode(pem));

function tlsOptions(tls) {
  const o = typeof tls === 'object' ? tls : {};
  const ca = o.caCerts ?? (o.ca === undefined ? [] : Array.isArray(o.ca) ? o.ca : [o.ca]);
  return { caCerts: ca.map(text), servername: o.servername };
}

async function connect({ host, port, tls }) {
  if (!tls) return Deno.connect({ hostname: host, port });
  const { caCerts, servername } = tlsOptions(tls);
  const conn = servername
    ? await Deno.startTls(await Deno.connect({ hostname: host, port }), { hostname: servername, caCerts })
    : await Deno.connectTls({ hostname: host, port, caCerts });
  try {
    await conn.handshake(); // the certificate is verified before the client calls the connection open
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

function closeConn(conn) {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

export function open(target, events) {
  return streamConnection(connect(target), target, events, closeConn);
}

export function check({ tls, insecureSkipVerify }) {
  if (insecureSkipVerify) {
    // Deno.connectTls has no such option (only the --unsafely-ignore-certificate-errors flag, the user's call).
    throw Object.assign(new TypeError('Deno cannot skip certificate checks per connection: insecureSkipVerify is not supported (Deno has the --unsafely-ignore-certificate-errors flag)'), { code: 'ERR_CARBON_OPTIONS' });
  }
  if (tls && typeof tls === 'object') tlsOptions(tls);
}
