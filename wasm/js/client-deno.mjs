// `carbon-pickle/client` on Deno: CarbonClient over Deno.connect / Deno.connectTls. Needs only --allow-net.
import { EventEmitter } from 'node:events';
import { FrameEncoder } from './deno.mjs';
import { createCarbonClient, createSend, parseTarget } from './client-core.mjs';
import * as transport from './transport-deno.mjs';

export const CarbonClient = createCarbonClient({ FrameEncoder, transport, EventBase: EventEmitter });
export const send = createSend(CarbonClient);
export { parseTarget };
export default { CarbonClient, send, parseTarget };
