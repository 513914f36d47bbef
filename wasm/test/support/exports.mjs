// What each entry point of the installed package exports, as a program run in a runtime prints it
// (test/exports.test.mjs compares the runtimes, test/types.test.mjs the TypeScript declarations).

/** The package's entry points (package.json `exports`, but ./package.json). */
export const ENTRIES = ['carbon-pickle', 'carbon-pickle/client', 'carbon-pickle/node', 'carbon-pickle/cluster', 'carbon-pickle/inspect'];

/** node:events' EventEmitter methods, which types/client.d.ts declares on CarbonClient in every runtime. */
export const EMITTER_METHODS = [
  'on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners',
  'emit', 'listenerCount', 'listeners', 'rawListeners', 'eventNames', 'setMaxListeners', 'getMaxListeners',
];

/**
 * An ES module that imports `entries` ([name, specifier] pairs) and exports `collect()`: per entry, the
 * names of its namespace (default left out), of its default export and, with `withRequire`, of what
 * require() gives, with the names whose require() value differs from the import's; for an entry with a
 * CarbonClient, the EventEmitter methods a client lacks.
 */
export function namesModule(entries, { withRequire = false } = {}) {
  return [
    ...entries.map(([, specifier], i) => `import * as m${i} from ${JSON.stringify(specifier)};`),
    ...(withRequire ? ["import { createRequire } from 'node:module';", 'const require = createRequire(import.meta.url);'] : []),
    `const METHODS = ${JSON.stringify(EMITTER_METHODS)};`,
    "const names = (o) => Object.keys(o).filter((k) => k !== 'default' && k !== '__esModule').sort();",
    'function describe(ns, required) {',
    '  const r = { import: names(ns), default: ns.default === undefined ? null : names(ns.default) };',
    '  if (required !== undefined) {',
    '    r.require = names(required);',
    '    r.differ = r.require.filter((k) => required[k] !== ns[k]);',
    '  }',
    "  if (typeof ns.CarbonClient === 'function') {",
    '    const client = new ns.CarbonClient({ flushInterval: 0 });',
    "    r.lacks = METHODS.filter((m) => typeof client[m] !== 'function');",
    '    client.destroy();',
    '  }',
    '  return r;',
    '}',
    'export function collect() {',
    '  return {',
    ...entries.map(([name, specifier], i) => `    ${JSON.stringify(name)}: describe(m${i}${withRequire ? `, require(${JSON.stringify(specifier)})` : ''}),`),
    '  };',
    '}',
    '',
  ].join('\n');
}

/** The `NAMES {...}` line of a program's output, parsed. */
export function parseNames(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('NAMES '));
  if (!line) throw new Error(`no NAMES line in:\n${stdout}`);
  return JSON.parse(line.slice(6));
}
