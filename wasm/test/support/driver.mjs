// One sender program for Node, Deno and Bun: imports `carbon-pickle/client` (each runtime picks its export
// condition), sends datapoints as the JSON argument says and prints JSON lines on stdout. It reads no file
// and needs only network access (Deno runs it with --allow-net alone). The process ends by itself when the
// client has closed: a pending close() must keep it alive.
//
// Argument: { port, tls?: { ca?, servername? }, prefix, count, metrics, t0, mode, options?, batch?, pauseMs? }
//   mode 'write':     writeMany in batches, waiting with ready() when writableNeedDrain, then close()
//   mode 'drain':     the same, waiting for the 'drain' event instead of ready()
//   mode 'pipe':      pipeFrom(an async generator of batches)
//   mode 'stream':    a WritableStream from writable(), fed by a ReadableStream of batches
//   mode 'close':     everything queued at once (the queue holds it), 'waiting' printed, then close()
// Datapoint i: path `${prefix}.m${i % metrics}`, timestamp t0 + floor(i / metrics), value i / 4 (exact).
import { CarbonClient } from 'carbon-pickle/client';

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const cfg = JSON.parse(args[0]);
const { port, prefix, count, metrics, t0, mode, batch = 1000, pauseMs = 0 } = cfg;
const print = (o) => console.log(JSON.stringify(o));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function rows(start, end) {
  const out = [];
  for (let i = start; i < end; i++) out.push({ path: `${prefix}.m${i % metrics}`, value: i / 4, timestamp: t0 + Math.floor(i / metrics) });
  return out;
}

// A cluster (options.destinations) names its receivers itself.
const client = new CarbonClient(cfg.options?.destinations ? cfg.options : { port, tls: cfg.tls ?? false, ...cfg.options });
const events = { connect: 0, disconnect: 0, drain: 0, drop: 0, waits: 0 };
for (const e of ['connect', 'disconnect', 'drain']) client.on(e, () => events[e]++);
client.on('drop', ({ points }) => (events.drop += points));
let lastReport = 0;
const progress = () => {
  const { points } = client.stats;
  if (points - lastReport >= count / 20) {
    lastReport = points;
    print({ progress: points });
  }
};
client.on('drain', progress);

if (mode === 'write' || mode === 'drain') {
  for (let i = 0; i < count; i += batch) {
    if (client.writableNeedDrain) {
      events.waits++;
      if (mode === 'write') await client.ready();
      else await new Promise((resolve) => client.once('drain', resolve));
    }
    client.writeMany(rows(i, Math.min(count, i + batch)));
    progress();
    if (pauseMs > 0) await sleep(pauseMs);
  }
} else if (mode === 'pipe') {
  async function* source() {
    for (let i = 0; i < count; i += batch) yield rows(i, Math.min(count, i + batch));
  }
  print({ piped: await client.pipeFrom(source()) });
} else if (mode === 'stream') {
  let i = 0;
  const readable = new ReadableStream({
    pull(controller) {
      if (i >= count) return controller.close();
      controller.enqueue(rows(i, Math.min(count, i + batch)));
      i += batch;
    },
  });
  await readable.pipeTo(client.writable());
} else if (mode === 'close') {
  client.writeMany(rows(0, count));
  print({ waiting: client.queuedPoints });
} else {
  throw new Error(`unknown mode ${mode}`);
}
await client.close();
print({ done: true, stats: client.stats, events });
