// `carbon-pickle/client` on Deno: CarbonClient over Deno.connect / Deno.connectTls. Needs only --allow-net.
import { EventEmitter } from 'node:events';
import { FrameEncoder } from './deno.mjs';
import { checkOptionNames, tagPath } from './api.mjs';
import { createCarbonClient, createSend, parseDestination, parseTarget } from './client-core.mjs';
import * as lifecycle from './lifecycle-deno.mjs';
import { loadRouter } from './route-deno.mjs';
import * as transport from './transport-deno.mjs';

export const CarbonClient = createCarbonClient({ FrameEncoder, transport, EventBase: EventEmitter, loadRouter, checkOptionNames, lifecycle, tagPath });
export const send = createSend(CarbonClient);
export { parseDestination, parseTarget };
export default { CarbonClient, send, parseDestination, parseTarget };
