// `import { CarbonRouter } from 'carbon-pickle/cluster'` on Cloudflare workerd.
import { loadRouter } from './route-workerd.mjs';

export const CarbonRouter = loadRouter();
export default { CarbonRouter };
