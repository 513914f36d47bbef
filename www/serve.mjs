#!/usr/bin/env node
// A static file server for the demo page, on the loopback interface only.
//
// It serves www/ at `/` and the npm package's browser build at `/carbon-pickle/` (wasm/js/ and
// wasm/pkg/web/ and wasm/pkg/full-web/, exactly the files a browser gets from the published package), with the wasm MIME type
// that streaming compilation needs and a Content-Security-Policy that lets the page load nothing from
// anywhere but this server. No caching, so a rebuilt package shows up on reload.
//
// The package's wasm module comes from `--pkg DIR` (scripts/serve-www.sh passes the build with the frame
// inspector, target/www/pkg/web), else that directory if it exists, else the package's own wasm/pkg/web.
//
// Usage: node www/serve.mjs [--port N] [--pkg DIR]   (port 8000 by default; 0 picks a free one). Prints the URL.
// As a module: `const { url, close } = await serve({ port: 0, pkg })` (the tests do this).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WWW = dirname(fileURLToPath(import.meta.url));
const WASM = join(WWW, '..', 'wasm');
const INSPECT_PKG = join(WWW, '..', 'target', 'www', 'pkg', 'web');
export const DEFAULT_PKG = existsSync(join(INSPECT_PKG, 'carbon_pickle_bg.wasm')) ? INSPECT_PKG : join(WASM, 'pkg', 'web');

// URL prefix -> directory. Everything else is refused.
const mounts = (pkg) => [
  ['/carbon-pickle/js/', join(WASM, 'js')],
  ['/carbon-pickle/pkg/web/', pkg],
  ['/carbon-pickle/pkg/full-web/', join(WASM, 'pkg', 'full-web')], // protocol 0's module (with its glue), fetched by enableProtocol0()
  ['/', WWW],
];
// Only what a page needs; test files, node_modules and dotfiles are not served.
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const HIDDEN = /(^|\/)(\.|node_modules\/|test\/|package(-lock)?\.json$|serve\.mjs$)/;

const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function resolve(pathname, MOUNTS) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length));
    if (rel.startsWith('..') || rel.startsWith(sep) || (dir === WWW && HIDDEN.test(rel))) return null;
    if (!TYPES[extname(rel)]) return null;
    return join(dir, rel);
  }
  return null;
}

function handle(req, res, MOUNTS) {
  const send = (status, text) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
  const file = resolve(new URL(req.url, 'http://127.0.0.1').pathname, MOUNTS);
  let st;
  try {
    st = file && statSync(file);
  } catch {
    st = null;
  }
  if (!st || !st.isFile()) return send(404, 'not found\n');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)],
    'content-length': st.size,
    'cache-control': 'no-store',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

/** Starts the server on 127.0.0.1; resolves to { url, port, close() }. */
export function serve({ port = 8000, pkg = DEFAULT_PKG } = {}) {
  const m = mounts(pkg);
  const server = createServer((req, res) => handle(req, res, m));
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      ok({
        url: `http://127.0.0.1:${p}/`,
        port: p,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? 8000);
  const pkg = arg('--pkg') ?? DEFAULT_PKG;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('serve: --port needs a number from 0 to 65535');
    process.exit(2);
  }
  const { url, close } = await serve({ port, pkg });
  console.log(`carbon-pickle demo: ${url}  (Ctrl-C stops; wasm module from ${pkg})`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => close().then(() => process.exit(0)));
}
