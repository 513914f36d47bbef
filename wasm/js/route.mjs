// `import { CarbonRouter } from 'carbon-pickle/cluster'` in Node and Bun: the CommonJS module re-exported.
import route from './route.cjs';

export const { CarbonRouter } = route;
export default route;
