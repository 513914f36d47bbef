// A TLS endpoint for the tests, as Hosted Graphite's port 20040: a certificate from a CA made here with the
// openssl CLI, and a Node TLS server that forwards the application data to the real carbon.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a certificate it signs for 127.0.0.1 / localhost; and another CA that signed nothing. */
export function makeCertificates(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    openssl(dir, 'req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=carbon-pickle test ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  const read = (f) => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), otherCa: read('other-ca.crt'), key: read('server.key'), cert: read('server.crt'), caFile: join(dir, 'ca.crt') };
}

/**
 * Starts a TLS server on 127.0.0.1 that forwards each connection to `upstreamPort`. Returns
 * { port, forwarded(): bytes of application data passed on, close() }.
 */
export async function startTlsTerminator(certs, upstreamPort) {
  let forwarded = 0;
  const server = tls.createServer({ key: certs.key, cert: certs.cert }, (c) => {
    const up = net.connect({ host: '127.0.0.1', port: upstreamPort });
    c.on('data', (d) => {
      forwarded += d.length;
      up.write(d);
    });
    c.on('end', () => up.end());
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    up.on('close', () => c.destroy());
  });
  server.on('tlsClientError', () => {});
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    forwarded: () => forwarded,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
