// The client's transport on Cloudflare workerd: connect() from cloudflare:sockets, with
// `secureTransport: 'on'` for TLS. A private CA is not an option of connect(): it is the worker's config
// (`tlsOptions = ( trustedCertificates = [ ... ] )` on its outbound network service).
import { connect } from 'cloudflare:sockets';
import { streamConnection } from './transport-streams.mjs';

export function open(target, events) {
  const { host, port, tls } = target;
  const socket = connect({ hostname: host, port }, { secureTransport: tls ? 'on' : 'off', allowHalfOpen: false });
  return streamConnection(
    socket.opened.then(() => socket),
    target,
    events,
    (s) => s.close().catch(() => {}),
  );
}

export function check({ tls, insecureSkipVerify }) {
  if (insecureSkipVerify) throw Object.assign(new TypeError('workerd always verifies certificates: insecureSkipVerify is not supported'), { code: 'ERR_CARBON_OPTIONS' });
  if (tls && typeof tls === 'object' && (tls.ca !== undefined || tls.caCerts !== undefined)) {
    throw Object.assign(new TypeError("on workerd a private CA is set in the worker's config (tlsOptions.trustedCertificates), not in the client's tls option"), { code: 'ERR_CARBON_OPTIONS' });
  }
}
