// A Cloudflare Worker that forwards carbon plaintext lines to Hosted Graphite as pickle frames over TLS
// (port 20040), every path prefixed with the account's API key.
//
//   POST /          body: lines "path value [timestamp]"; waits for delivery, answers with what was written
//   POST /?async=1  answers 202 at once; delivery goes on in ctx.waitUntil (the runtime keeps the request's
//                   I/O open until it is done, within its limits)
//
// Settings (wrangler.toml [vars] and secrets): HOSTEDGRAPHITE_API_KEY (the prefix), CARBON_TO (default
// carbon.hostedgraphite.com:20040), CARBON_TLS ("off" for a plain receiver), CARBON_TIMEOUT_MS (default 20000). A Worker cannot keep a
// connection between requests, so each request connects, writes and closes: the one-shot send().
import { send, CarbonClient } from 'carbon-pickle/client';

const HOSTED_GRAPHITE = 'carbon.hostedgraphite.com:20040';

/** Carbon plaintext lines → datapoints; a bad line is an HTTP 400 naming it. */
function parseLines(text) {
  const points = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/);
    if (fields[0] === '') continue;
    const [path, value, timestamp] = fields;
    if (fields.length < 2 || fields.length > 3 || Number.isNaN(Number(value)) || (timestamp !== undefined && Number.isNaN(Number(timestamp)))) {
      throw new RangeError(`line ${i + 1}: expected "path value [timestamp]"`);
    }
    points.push({ path, value: Number(value), timestamp: timestamp === undefined ? undefined : Number(timestamp) });
  }
  return points;
}

function options(env) {
  return {
    to: env.CARBON_TO ?? HOSTED_GRAPHITE,
    tls: env.CARBON_TLS !== 'off',
    prefix: env.HOSTEDGRAPHITE_API_KEY,
    // Within the time a Worker may keep working after its response.
    timeout: Number(env.CARBON_TIMEOUT_MS ?? 20000),
  };
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request, env, ctx) {
    if (request.method !== 'POST') return json({ error: 'POST carbon plaintext lines' }, 405);
    let points;
    try {
      points = parseLines(await request.text());
    } catch (err) {
      return json({ error: err.message }, 400);
    }
    const url = new URL(request.url);
    if (url.searchParams.get('async') === '1') {
      // A client per request, closed in waitUntil: the same as send(), shown with the long-lived API.
      const client = new CarbonClient({ ...options(env), flushInterval: 0, maxQueuedPoints: Math.max(points.length, 1) });
      try {
        client.writeMany(points);
      } catch (err) {
        client.destroy();
        return json({ error: err.message }, 400);
      }
      ctx.waitUntil(client.close({ timeout: Number(env.CARBON_TIMEOUT_MS ?? 20000) }).catch((err) => console.error(`carbon: ${err.message}`)));
      return json({ accepted: points.length }, 202);
    }
    try {
      return json(await send(points, options(env)));
    } catch (err) {
      const status = err instanceof TypeError || err instanceof RangeError ? 400 : 502;
      return json({ error: err.message, notDelivered: err.notDelivered ?? points.length }, status);
    }
  },
};
