// `import { CarbonClient } from 'carbon-pickle/client'` in Node (and `carbon-pickle/node`): the CommonJS
// client re-exported, so that `import` and `require` share one wasm instance.
import client from './client.cjs';

export const { CarbonClient, send, parseTarget, parseDestination } = client;
export default client;
