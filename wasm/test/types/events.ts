// Compiled by test/types.test.mjs (tsc --strict): the client is an EventEmitter for node:events' helpers,
// and each event's listener gets what the runtime emits (js/client-core.mjs), with and without
// `destinations`. Every `@ts-expect-error` line is a use the declarations must refuse.
import { once, on } from 'node:events';
import {
  CarbonClient,
  parseDestination,
  parseTarget,
  send,
  type CarbonClientOptions,
  type CarbonDeliveryError,
  type DestinationInfo,
  type SendError,
} from 'carbon-pickle/client';
import type { CarbonEncodeError } from 'carbon-pickle';

export async function plainClient(): Promise<void> {
  const client = new CarbonClient({ to: '127.0.0.1:2004', timeout: 5000, warnings: false });
  // node:events' once() and on() take it: it is an EventEmitter (node:events' own in Node, Deno and Bun).
  if (client.writableNeedDrain) await once(client, 'drain');
  const ac = new AbortController();
  for await (const [info] of on(client, 'drop', { signal: ac.signal })) console.log(info);

  client.on('connect', () => console.log('up'));
  client.on('connect', (...args) => {
    const none: [] = args;
    console.log(none);
  });
  client.on('disconnect', (error) => {
    const e: Error | null = error;
    console.log(e?.message);
  });
  client.on('reconnecting', ({ attempt, delay }) => console.log(attempt + delay));
  client.on('drop', ({ points, reason, total }) => console.log(points, reason.length, total));
  client.once('drain', () => console.log('drained')).off('drain', () => {});
  client.prependListener('connect', () => {}).prependOnceListener('drop', ({ total }) => console.log(total));
  console.log(client.listenerCount('drop'), client.listeners('drop').length, client.eventNames(), client.setMaxListeners(20).getMaxListeners());

  // @ts-expect-error a client with one receiver: 'connect' carries nothing
  client.on('connect', (info: DestinationInfo) => console.log(info.index));
  // @ts-expect-error ... so its first argument has no `index`
  client.on('connect', (info) => console.log(info.index));
  // @ts-expect-error 'disconnect' has the error only
  client.on('disconnect', (_error, info) => console.log(info.destination));
  // @ts-expect-error 'reconnecting' says nothing of a destination
  client.on('reconnecting', (r) => console.log(r.destination));
  // @ts-expect-error nor does 'drop'
  client.on('drop', (d) => console.log(d.index));
  // @ts-expect-error 'drain' carries nothing
  client.on('drain', (x: number) => console.log(x));
  // @ts-expect-error 'warning' comes from a cluster client only
  client.on('warning', (w: Error) => console.log(w));
  // @ts-expect-error no such event
  client.on('conect', () => {});
  // @ts-expect-error emit checks the arguments too
  client.emit('drop', { points: 1 });

  try {
    await client.flush();
    await client.close({ timeout: Infinity });
  } catch (e) {
    const err = e as CarbonDeliveryError;
    const code: string = err.code;
    const notDelivered: number = err.notDelivered;
    console.log(code, notDelivered, err.cause, err.destination, err.message);
  }
}

export async function clusterClient(): Promise<void> {
  const client = new CarbonClient({ destinations: ['10.0.0.1:2004:a', '10.0.0.2:2004:b'], hash: 'fnv1a_ch', replicationFactor: 2 });
  await once(client, 'drain');
  client.on('connect', ({ destination, index }) => console.log(destination, index));
  client.on('disconnect', (error, { destination, index }) => console.log(error?.message, destination, index));
  client.on('reconnecting', ({ attempt, delay, destination, index }) => console.log(attempt, delay, destination, index));
  client.on('drop', ({ points, reason, total, destination, index }) => console.log(points, reason, total, destination, index));
  client.on('drain', () => console.log('every destination drained'));
  client.on('warning', (warning) => console.log(warning.message));
  const info: DestinationInfo = parseDestination('[::1]:2004:a').instance === 'a' ? { destination: 'x', index: 0 } : { destination: 'y', index: 1 };
  client.emit('connect', info);
  for (const lane of client.stats.destinations ?? []) console.log(lane.destination, lane.queuedPoints);

  // @ts-expect-error 'drain' carries nothing, clusters included
  client.on('drain', (d: DestinationInfo) => console.log(d));
  // @ts-expect-error the destination is a string
  client.on('connect', ({ destination }: { destination: number }) => console.log(destination));
  // @ts-expect-error the error comes first
  client.on('disconnect', ({ destination }: DestinationInfo) => console.log(destination));
  // @ts-expect-error emit checks the arguments: a cluster's 'connect' names its destination
  client.emit('connect');
}

// Options whose `destinations` may or may not be there: the listeners get what either kind emits.
export function eitherClient(options: CarbonClientOptions): void {
  const client = new CarbonClient(options);
  client.on('connect', (info) => console.log(info?.index));
  client.on('disconnect', (error, info) => console.log(error, info?.destination));
  client.on('drop', (d) => console.log(d.points, 'index' in d ? d.index : -1));
  // @ts-expect-error `info` may be missing
  client.on('connect', (info) => console.log(info.index));
  // A variable of the class's plain type: one receiver.
  const plain: CarbonClient = new CarbonClient();
  plain.on('connect', () => {});
}

export function options(): void {
  // @ts-expect-error a misspelt option is refused (as the runtime refuses it)
  new CarbonClient({ timout: 5000 });
  // @ts-expect-error warnings is a boolean
  new CarbonClient({ warnings: 'no' });
  const { host, port } = parseTarget('[::1]:2004');
  const d = parseDestination('carbon-a:2004:a');
  const instance: string | undefined = d.instance;
  console.log(host, port, d.host, d.port, instance);
}

export async function oneShot(): Promise<void> {
  try {
    const r = await send([{ path: 'a.b', value: 1 }], { to: '127.0.0.1:2004', timeout: 1000 });
    console.log(r.points, r.frames, r.bytes, r.connects);
  } catch (e) {
    const err = e as SendError;
    console.log(err.code, err.points, err.notDelivered, err.cause, err.index, err.path);
  }
  try {
    await send({ paths: ['a..b'], values: [1] });
  } catch (e) {
    const err = e as CarbonEncodeError;
    console.log(err.code, err.index, err.path, err.frames, err.option);
  }
}
