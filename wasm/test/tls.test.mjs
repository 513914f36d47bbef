// CarbonClient over TLS (as to Hosted Graphite's port 20040): a local TLS endpoint with a certificate from
// a CA made here, forwarding to the real carbon. The right CA gets the datapoints through; a wrong CA (or
// none) is refused before a byte of data is sent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { startCarbon, until } from './support/carbon.mjs';
import { makeCertificates, startTlsTerminator } from './support/tls.mjs';

const require = createRequire(import.meta.url);
const { CarbonClient } = require('../js/client.cjs');

const T0 = Math.floor(Date.now() / 1000) - 1800;

describe('CarbonClient over TLS', () => {
  let carbon;
  let dir;
  let certs;
  let server;
  let port;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-tls-'));
    certs = makeCertificates(dir);
    carbon = await startCarbon();
    server = await startTlsTerminator(certs, carbon.port);
    port = server.port;
  });

  after(async () => {
    await server?.close();
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
      const before = server.forwarded();
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
      assert.equal(server.forwarded(), before, 'no application data reached the endpoint');
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
