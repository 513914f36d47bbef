// CarbonClient over TLS (as to Hosted Graphite's port 20040): a local TLS endpoint with a certificate from
// a CA made here, forwarding to the real carbon. The right CA gets the datapoints through; a wrong CA (or
// none) is refused before a byte of data is sent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { startCarbon, until } from './support/carbon.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient } = require('../js/client.cjs');

const T0 = Math.floor(Date.now() / 1000) - 1800;

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a certificate it signs for 127.0.0.1 / localhost; and another CA that signed nothing. */
function makeCertificates(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    openssl(dir, 'req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=carbon-pickle test ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  const read = (f) => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), otherCa: read('other-ca.crt'), key: read('server.key'), cert: read('server.crt') };
}

describe('CarbonClient over TLS', () => {
  let carbon;
  let dir;
  let certs;
  let server;
  let port;
  let forwarded = 0; // bytes of application data the TLS endpoint passed to carbon

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-tls-'));
    certs = makeCertificates(dir);
    carbon = await startCarbon();
    server = tls.createServer({ key: certs.key, cert: certs.cert }, (c) => {
      const up = net.connect({ host: '127.0.0.1', port: carbon.port });
      c.on('data', (d) => {
        forwarded += d.length;
        up.write(d);
      });
      c.on('end', () => up.end());
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    server.on('tlsClientError', () => {});
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  });

  after(async () => {
    server?.close();
    await carbon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the certificate against the given CA and delivers', async () => {
    const client = new CarbonClient({ host: '127.0.0.1', port, tls: { ca: certs.ca }, prefix: 'KEY' });
    const points = Array.from({ length: 5000 }, (_, i) => ({ path: `tls.m${i % 50}`, value: i, timestamp: T0 + Math.floor(i / 50) }));
    client.writeMany(points);
    await client.close({ timeout: 20000 });
    assert.equal(client.stats.points, 5000);
    await carbon.wait(5000, 60);
    const dump = await carbon.dump();
    for (let k = 0; k < 50; k++) {
      assert.deepEqual(dump[`KEY.tls.m${k}`], Array.from({ length: 100 }, (_, s) => [T0 + s, s * 50 + k]));
    }
  });

  for (const [what, tlsOptions] of [
    ['a wrong CA', () => ({ ca: certs.otherCa })],
    ['only the system CAs', () => ({})],
  ]) {
    it(`refuses the endpoint with ${what}`, async () => {
      const before = forwarded;
      const client = new CarbonClient({ host: '127.0.0.1', port, tls: tlsOptions(), reconnectInitialDelay: 50, reconnectMaxDelay: 100 });
      const errors = [];
      let connects = 0;
      client.on('connect', () => connects++);
      client.on('disconnect', (err) => errors.push(err));
      client.write({ path: 'tls.refused', value: 1, timestamp: T0 });
      await assert.rejects(client.flush({ timeout: 1500 }), { code: 'ETIMEDOUT' });
      client.destroy();
      assert.equal(connects, 0);
      assert.ok(errors.length >= 2, `${errors.length} attempts`);
      assert.ok(
        errors.every((e) => e && /certificate|self.signed|verify/i.test(`${e.code} ${e.message}`)),
        errors.map((e) => `${e?.code}: ${e?.message}`).join('; '),
      );
      assert.equal(forwarded, before, 'no application data reached the endpoint');
    });
  }

  it('checks the name in the certificate', async () => {
    // Right CA, but the certificate is not for this name.
    const client = new CarbonClient({ host: '127.0.0.1', port, tls: { ca: certs.ca, servername: 'carbon.example.com', checkServerIdentity: tls.checkServerIdentity.bind(null, 'carbon.example.com') } });
    const errors = [];
    client.on('disconnect', (err) => errors.push(err));
    client.write({ path: 'tls.wrong-name', value: 1, timestamp: T0 });
    await until(() => errors.length > 0, 5000, 'a refused connection');
    client.destroy();
    assert.match(`${errors[0].code} ${errors[0].message}`, /ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
  });
});
