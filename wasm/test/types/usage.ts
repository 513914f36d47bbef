// Compiled by `tsc --strict --noEmit` in test/types.test.mjs: the declarations describe the API as it is used.
import { encodeFrames, FrameEncoder, MetricSet, splitFrames, enableProtocol0, type Frame, type CarbonEncodeError, type Tags, CARBON_MAX_POINTS, CARBON_MAX_PAYLOAD } from 'carbon-pickle';
import { CarbonClient } from 'carbon-pickle/node';
import { inspect, parseHex, Inspector, type Inspection } from 'carbon-pickle/inspect';

const frames: Frame[] = encodeFrames([{ path: 'a.b', value: 1, timestamp: 1700000000 }], { protocol: 0, prefix: 'KEY' });
const count: number = frames[0].points + CARBON_MAX_POINTS;
encodeFrames({ paths: ['a'], values: new Float64Array([1]), timestamps: new Uint32Array([1]) });
const enc = new FrameEncoder({ maxPoints: 100 });
const more: Frame[] = [...enc.push({ path: 'x', value: 2 }), ...enc.pushMany({ paths: ['y'], values: [1], timestamps: new Date() }), ...enc.pushRange([{ path: 'z', value: 3 }], 0, 1), ...enc.flush()];
const set = new MetricSet(['a', 'b'], { asciiOnly: true });
set.encode(new Float64Array([1, 2]), 1700000000, new Uint32Array([0, 1]));
try {
  encodeFrames([{ path: 'a..b', value: 1 }]);
} catch (e) {
  const err = e as CarbonEncodeError;
  console.log(err.code, err.index, err.path, err.frames?.length);
}
const client = new CarbonClient({ to: 'carbon.hostedgraphite.com:20040', tls: true, prefix: 'API-KEY', maxQueuedPoints: 10 });
client.on('drop', ({ points, total }) => console.log(points, total));
client.send('a.b', 1);
void client.flush({ timeout: 100 }).then(() => client.close());
console.log(count, more.length, CARBON_MAX_PAYLOAD, splitFrames(new Uint8Array(0)).length);
// Graphite tags: on a datapoint, on columns, fixed per path in a MetricSet, and on every datapoint of a client.
encodeFrames([{ path: 'disk.used', tags: { dc: 'dc1', rack: 7 }, value: 1 }, { path: 'disk.used;dc=dc1', value: 2 }]);
encodeFrames({ paths: ['a', 'b'], values: [1, 2], tags: [{ k: 'v' }, undefined] });
encodeFrames({ paths: ['a', 'b'], values: [1, 2], tags: { k: 'v' } });
const taggedSet = new MetricSet(['plain', { path: 'cpu', tags: { host: 'web01' } }]);
const globalTags: Tags = { env: 'prod' };
new CarbonClient({ globalTags }).write({ path: 'x', value: 1, tags: { route: '/' } });
console.log(taggedSet.paths.length);
// @ts-expect-error tag values are strings or numbers
encodeFrames([{ path: 'a', value: 1, tags: { k: true } }]);
void enableProtocol0().then(() => encodeFrames([{ path: 'a', value: 1 }], { protocol: 0 }));
const seen: Inspection = inspect(parseHex('0000000e 80025d71005804000000'));
console.log(seen.text, seen.refused > 0 ? 'refused' : `${seen.points} datapoints`);
const inspector = new Inspector({ inputLength: 14 });
const listed: string[] = [...inspector.write(parseHex('0000000e 80025d71')), ...inspector.end()];
console.log(listed.join(''), inspector.frames, inspector.refused, inspector.points, inspector.skipped);
// carbon-pickle/client: the same class in every runtime, backpressure and the one-shot send().
import { CarbonClient as Client, send, type SendError, type SendResult } from 'carbon-pickle/client';
const c2 = new Client({ to: '127.0.0.1:2004', tls: { caCerts: ['-----BEGIN CERTIFICATE-----'] }, highWaterMark: 1000, lowWaterMark: 10 });
c2.on('drain', () => console.log(c2.writableNeedDrain));
async function backfill(source: AsyncIterable<{ path: string; value: number; timestamp: number }[]>): Promise<number> {
  for await (const batch of source) {
    if (c2.writableNeedDrain) await c2.ready({ timeout: 1000 });
    c2.writeMany(batch);
  }
  const piped: number = await c2.pipeFrom([{ path: 'a', value: 1 }, { paths: ['b'], values: [2], timestamps: 1700000000 }]);
  const sink: WritableStream = c2.writable();
  void sink;
  return piped;
}
void backfill;
void send([{ path: 'a.b', value: 1 }], { to: 'carbon.hostedgraphite.com:20040', tls: true, prefix: 'KEY', timeout: 5000 }).then(
  (r: SendResult) => console.log(r.points, r.frames),
  (e: SendError) => console.log(e.notDelivered, e.points),
);
// carbon-pickle/cluster and a clustered client.
import { CarbonRouter } from 'carbon-pickle/cluster';
const ring = new CarbonRouter(['10.0.0.1:2004:a', '[::1]:2004:b'], { hash: 'carbon_ch', replicationFactor: 2, prefix: 'KEY' });
const where: number[] = ring.route('servers.web01.cpu');
const many: Uint8Array = ring.routeMany(['a', 'b']);
console.log(where, many, ring.fnv1aClash?.[0]);
const cluster = new Client({ destinations: ring.destinations.slice(), hash: 'jump_fnv1a_ch', replicationFactor: 1 });
console.log(cluster.stats.destinations?.[0].destination);
