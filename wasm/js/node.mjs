// Node's and Bun's `import 'carbon-pickle'`: the CommonJS build re-exported, so that a program mixing
// `import` and `require` still has one wasm instance (no dual-package hazard).
import api from './node.cjs';

export const { encodeFrames, splitFrames, FrameEncoder, MetricSet, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS, inspect, enableProtocol0 } = api;
export default api;
