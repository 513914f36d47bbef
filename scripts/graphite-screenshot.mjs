// A screenshot of graphite-web's own UI (its composer) showing a graph, for the README (docs/graphite-web.png):
// Debian's Chromium driven by playwright-core (www/node_modules, as scripts/test-www.sh uses it), headless.
// Only the loopback graphite-web is reachable: every other request is refused (graphite-web's page links a
// few outside resources) and listed.
//
// Usage: node scripts/graphite-screenshot.mjs <composer URL on 127.0.0.1> <out.png>
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(ROOT, 'www', 'package.json'))('playwright-core');

const [url, out] = process.argv.slice(2);
if (!url || !out || new URL(url).hostname !== '127.0.0.1') {
  console.error('usage: node scripts/graphite-screenshot.mjs http://127.0.0.1:PORT/... out.png');
  process.exit(2);
}
const origin = new URL(url).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  const refused = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === origin || u.protocol === 'data:') return route.continue();
    refused.push(u.href);
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(url);
  // The composer draws its graph as an <img> from /render once its ExtJS window is up.
  const drawn = () =>
    page.frames().map((f) =>
      f.evaluate(() => [...document.images].some((i) => i.src.includes('/render') && i.src.includes('target=') && i.complete && i.naturalWidth > 0)).catch(() => false),
    );
  const deadline = Date.now() + 30_000;
  while (!(await Promise.all(drawn())).some(Boolean)) {
    if (Date.now() > deadline) throw new Error(`graphite-web drew no graph at ${url}`);
    await page.waitForTimeout(200);
  }
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`graphite-web's composer: ${out}${refused.length ? ` (refused: ${refused.join(', ')})` : ''}`);
} finally {
  await browser.close();
}
