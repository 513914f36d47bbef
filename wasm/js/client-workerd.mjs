// `carbon-pickle/client` on Cloudflare workerd: CarbonClient over connect() from cloudflare:sockets. A Worker
// cannot keep a connection between requests: make a client per request and `ctx.waitUntil(client.close())`,
// or use the one-shot `send(points, options)`.
import { FrameEncoder } from './workerd.mjs';
import { createCarbonClient, createSend, parseDestination, parseTarget } from './client-core.mjs';
import { loadRouter } from './route-workerd.mjs';
import * as transport from './transport-workerd.mjs';

export const CarbonClient = createCarbonClient({ FrameEncoder, transport, loadRouter });
export const send = createSend(CarbonClient);
export { parseDestination, parseTarget };
export default { CarbonClient, send, parseDestination, parseTarget };
