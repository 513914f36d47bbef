// `import 'carbon-pickle/inspect'`: the CommonJS loader re-exported (one inspector module for both).
import api from './inspect.cjs';

export const { inspect, Inspector, parseHex } = api;
export default api;
