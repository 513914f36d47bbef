// `carbon-pickle/client` on Cloudflare workerd: CarbonClient over connect() from cloudflare:sockets. A Worker
// cannot keep a connection between requests: make a client per request and `ctx.waitUntil(client.close())`,
// or use the one-shot `send(points, options)`.
import { FrameEncoder } from './workerd.mjs';
import { checkOptionNames, tagPath } from './api.mjs';
import { createCarbonClient, createSend, parseDestination, parseTarget } from './client-core.mjs';
import { loadRouter } from './route-workerd.mjs';
import * as transport from './transport-workerd.mjs';

// A Worker has no process exit to watch (its request's end closes its sockets: ctx.waitUntil(client.close())),
// but an unreachable receiver is still reported, once per outage, in the Worker's log.
const lifecycle = { track: () => null, warn: (message) => console.warn(message) };

export const CarbonClient = createCarbonClient({ FrameEncoder, transport, loadRouter, checkOptionNames, lifecycle, tagPath });
export const send = createSend(CarbonClient);
export { parseDestination, parseTarget };
export default { CarbonClient, send, parseDestination, parseTarget };
