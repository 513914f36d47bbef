#!/usr/bin/env node
// The Node part of README command 1 (scripts/run.sh): a greenhouse's sensors, one reading per 10 s over the
// last 30 minutes (the humidity also as a Graphite tagged series), sent with the package's CarbonClient (carbon-pickle/client) (the wasm core encodes every frame).
//
// Usage: node examples/send-sensors.mjs --to HOST:PORT [--prefix KEY] [--protocol 0|2] [--tls] [--count-file F]
import { writeFileSync } from 'node:fs';
import { CarbonClient } from 'carbon-pickle/client';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const to = opt('--to');
if (!to) {
  console.error('usage: send-sensors.mjs --to HOST:PORT [--prefix KEY] [--protocol 0|2] [--tls] [--count-file F]');
  process.exit(2);
}

// name, mean, swing, period (s), decimals
const SENSORS = [
  ['sensors.greenhouse.air.temperature', 24.0, 3.5, 900, 2],
  ['sensors.greenhouse.air.humidity', 68.0, 9.0, 1300, 1],
  ['sensors.greenhouse.soil.moisture', 41.0, 4.0, 2400, 1],
  ['sensors.greenhouse.light.lux', 18000, 15000, 1800, 0],
  ['sensors.greenhouse.vent.open_pct', 30.0, 30.0, 700, 0],
];
// A Graphite tagged series too: the greenhouse's humidity as `sensors.humidity;room=greenhouse;site=home`
// (the core writes the tags in carbon's order, as carbon stores them).
const TAGGED = { path: 'sensors.humidity', tags: { site: 'home', room: 'greenhouse' } };
const STEP = 10;
const now = Math.floor(Date.now() / 1000);
const start = now - 30 * 60;

const client = new CarbonClient({
  to,
  tls: args.includes('--tls'),
  prefix: opt('--prefix') || undefined,
  protocol: opt('--protocol') === undefined ? 2 : Number(opt('--protocol')),
});
client.on('disconnect', (err) => err && console.error(`connection: ${err.message}`));

for (let t = start; t < now; t += STEP) {
  for (const [path, mean, swing, period, decimals] of SENSORS) {
    const v = mean + swing * Math.sin((2 * Math.PI * t) / period);
    client.send(path, Number(v.toFixed(decimals)), t);
    if (path === 'sensors.greenhouse.air.humidity') client.write({ ...TAGGED, value: Number(v.toFixed(decimals)), timestamp: t });
  }
}
try {
  await client.close({ timeout: 30000 });
} catch (err) {
  console.error(`send-sensors: ${err.message}`);
  process.exit(1);
}
const s = client.stats;
console.log(`sent ${s.points} datapoints in ${s.frames} frames (${s.bytes} bytes) over ${s.connects} connection(s), ${s.dropped} dropped`);
if (opt('--count-file')) writeFileSync(opt('--count-file'), `${s.points}\n`);
process.exit(s.dropped === 0 ? 0 : 1);
