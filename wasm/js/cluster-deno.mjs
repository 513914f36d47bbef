// `import { CarbonRouter } from 'carbon-pickle/cluster'` on Deno.
import { loadRouter } from './route-deno.mjs';

export const CarbonRouter = loadRouter();
export default { CarbonRouter };
