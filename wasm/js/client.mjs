// `import { CarbonClient } from 'carbon-pickle/node'`: the CommonJS sender re-exported (one wasm instance
// for `import` and `require`).
import client from './client.cjs';

export const { CarbonClient, parseTarget } = client;
export default client;
