// Carbon clusters for the package's tests: carbon-caches on chosen loopback addresses (tests/carbon/harness.py
// serve DIR INTERFACE), carbon 1.1.10's carbon-relay.py and carbon-c-relay in front of them, and their whisper
// trees read through a time window (tests/carbon/trees.py). Every process started here is stopped by its pid.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { alive, PYTHON, until } from './carbon.mjs';

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HARNESS = join(repo, 'tests', 'carbon', 'harness.py');
const TREES = join(repo, 'tests', 'carbon', 'trees.py');

async function stopPids(pids) {
  for (const pid of pids) if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
  for (const pid of pids) {
    if (!pid) continue;
    await until(() => !alive(pid), 20000, `process ${pid} to stop`).catch(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
  }
}

export function accepts(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `n` distinct ports free on `host` a moment ago (all bound at once). */
export async function freePorts(host, n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A carbon-cache listening on `host` (127.0.0.x). { host, dir, port (pickle), linePort, stop() }. */
export async function startCache(host = '127.0.0.1') {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-cluster-'));
  const log = openSync(join(dir, 'harness.log'), 'a');
  const harness = spawn(PYTHON, [HARNESS, 'serve', dir, host], { stdio: ['ignore', log, log] });
  closeSync(log);
  const portsFile = join(dir, 'ports.json');
  await until(() => existsSync(portsFile) || harness.exitCode !== null, 60000, 'carbon to listen');
  if (!existsSync(portsFile)) throw new Error(`the carbon harness exited:\n${readFileSync(join(dir, 'harness.log'), 'utf8')}`);
  const ports = JSON.parse(readFileSync(portsFile, 'utf8'));
  return {
    host,
    dir,
    port: ports.pickle,
    linePort: ports.line,
    async stop() {
      await stopPids([ports.harness_pid]);
      await stopPids([ports.pid]);
      removeDir(dir);
    },
  };
}

/**
 * carbon 1.1.10's carbon-relay.py (RELAY_METHOD = consistent-hashing) in front of `destinations`
 * ('HOST:PICKLE_PORT:INSTANCE' strings, in order). { linePort, picklePort, dir, log(), stop() }.
 */
export async function startCarbonRelay({ destinations, hash = 'carbon_ch', replicationFactor = 1, diverseReplicas = true }) {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-relay-'));
  const relay = join(dirname(PYTHON), 'carbon-relay.py');
  for (let attempt = 0; attempt < 5; attempt++) {
    const [line, pickle] = await freePorts('127.0.0.1', 2);
    const conf = join(dir, 'carbon.conf');
    // carbon-relay refuses to start without a storage-schemas.conf beside carbon.conf, though it never uses it.
    writeFileSync(join(dir, 'storage-schemas.conf'), '[default]\npattern = .*\nretentions = 1s:1d\n');
    writeFileSync(
      conf,
      `[relay]
STORAGE_DIR = ${dir}/storage
LOCAL_DATA_DIR = ${dir}/storage/whisper
WHITELISTS_DIR = ${dir}/storage/lists
LOG_DIR = ${dir}/log
PID_DIR = ${dir}
ENABLE_LOGROTATION = False
USER =
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${line}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${pickle}
ENABLE_UDP_LISTENER = False
RELAY_METHOD = consistent-hashing
ROUTER_HASH_TYPE = ${hash}
REPLICATION_FACTOR = ${replicationFactor}
DIVERSE_REPLICAS = ${diverseReplicas ? 'True' : 'False'}
DESTINATIONS = ${destinations.join(', ')}
MAX_QUEUE_SIZE = 1000000
MAX_DATAPOINTS_PER_MESSAGE = 500
USE_FLOW_CONTROL = True
CARBON_METRIC_INTERVAL = 0
ENABLE_TAGS = False
ENABLE_MANHOLE = False
ENABLE_AMQP = False
LOG_LISTENER_CONN_SUCCESS = True
`,
    );
    rmSync(join(dir, 'carbon-relay-a.pid'), { force: true });
    const outPath = join(dir, 'relay.out');
    const out = openSync(outPath, 'a');
    const child = spawn(PYTHON, [relay, `--config=${conf}`, '--nodaemon', 'start'], {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: { ...process.env, PYTHONUTF8: '1' },
    });
    closeSync(out);
    const log = () => (existsSync(outPath) ? readFileSync(outPath, 'utf8') : '');
    let taken = false;
    await until(
      async () => {
        const text = log();
        if (/Address already in use|Couldn't listen/.test(text)) return (taken = true);
        if (child.exitCode !== null) return true;
        return new RegExp(`starting on ${line}\\b`).test(text) && new RegExp(`starting on ${pickle}\\b`).test(text) && (await accepts('127.0.0.1', line));
      },
      30000,
      'carbon-relay to listen',
    );
    if (!taken && child.exitCode === null) {
      return running(child, dir, log, { linePort: line, picklePort: pickle });
    }
    await stopPids([child.pid]);
    if (!taken) {
      const text = log();
      removeDir(dir);
      throw new Error(`carbon-relay exited ${child.exitCode}:\n${text}`);
    }
  }
  throw new Error('carbon-relay: no free ports in 5 attempts');
}

/** Removes a relay's working directory (kept with KEEP_CARBON=1, to read its logs). */
function removeDir(dir) {
  if (!process.env.KEEP_CARBON) rmSync(dir, { recursive: true, force: true });
}

/** A relay that is up: its fields, log() and stop() (SIGTERM by PID, then its directory removed). */
function running(child, dir, log, fields) {
  return {
    dir,
    pid: child.pid,
    log,
    ...fields,
    async stop() {
      await stopPids([child.pid]);
      removeDir(dir);
    },
  };
}

/**
 * carbon-c-relay in the foreground: one cluster `c` of `members` ('HOST:LINE_PORT=INSTANCE' strings),
 * `match * send to c stop;`, a linemode listener on 127.0.0.1. { port, conf, log(), stop() }. `allowedChars` is -c.
 */
export async function startCRelay({ members, hash = 'jump_fnv1a_ch', replicationFactor = 1, workers = 1, allowedChars }) {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-crelay-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const [port] = await freePorts('127.0.0.1', 1);
    const conf = join(dir, 'relay.conf');
    const replication = replicationFactor > 1 ? ` replication ${replicationFactor}` : '';
    const text = `listen type linemode transport plain 127.0.0.1:${port} proto tcp;
cluster c ${hash}${replication}
    ${members.join('\n    ')}
    ;
match * send to c stop;
`;
    writeFileSync(conf, text);
    const logPath = join(dir, 'relay.log');
    rmSync(logPath, { force: true });
    const args = ['-f', conf, '-l', logPath, '-w', String(workers), '-q', '1000000', '-H', 'test'];
    // -c: the characters besides [A-Za-z0-9] kept in names (default -_:#); every other byte becomes '_', and the
    // relay hashes the name so rewritten. Multi-byte UTF-8 characters pass when their bytes are listed.
    if (allowedChars !== undefined) args.push('-c', allowedChars);
    const child = spawn('carbon-c-relay', args, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    await until(async () => child.exitCode !== null || /failed to bind|Address already in use/i.test(log()) || (await accepts('127.0.0.1', port)), 20000, 'carbon-c-relay to listen');
    if (child.exitCode === null && !/failed to bind|Address already in use/i.test(log())) {
      return running(child, dir, log, { port, conf: text });
    }
    await stopPids([child.pid]);
    if (child.exitCode !== null && !/bind|in use/i.test(log())) {
      const text = log();
      removeDir(dir);
      throw new Error(`carbon-c-relay exited ${child.exitCode}:\n${text}`);
    }
  }
  throw new Error('carbon-c-relay: no free port in 5 attempts');
}

/** Writes plaintext lines to HOST:PORT over one connection and waits until the peer has them all (end, close). */
export function sendLines(host, port, lines) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('error', reject);
    s.once('connect', () => {
      s.end(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
    });
    s.once('close', (hadError) => (hadError ? reject(new Error('connection closed with an error')) : resolve()));
  });
}

/** One tree per cache: { metric: { header, points: [[ts, value], ...] } } of the metrics under `prefix`, in [from, until]. */
export async function trees(caches, prefix, from, untilTs) {
  const { stdout } = await run(PYTHON, [TREES, 'dump', String(from), String(untilTs), prefix, ...caches.map((c) => c.dir)], { maxBuffer: 1 << 30 });
  return JSON.parse(stdout);
}

/** Waits until the caches together hold `total` points under `prefix` (and nothing more arrives for `settle` s). */
export async function waitTotal(caches, prefix, from, untilTs, total, timeoutS = 60, settle = 2) {
  try {
    const args = [TREES, 'wait', String(from), String(untilTs), prefix, String(total), String(timeoutS), `--settle=${settle}`];
    const { stdout } = await run(PYTHON, [...args, ...caches.map((c) => c.dir)]);
    return { ...JSON.parse(stdout), complete: true };
  } catch (err) {
    if (err.stdout) return { ...JSON.parse(err.stdout), complete: false };
    throw err;
  }
}

/**
 * Compares two whisper trees file by file. Returns { metrics, points (of a), onlyA, onlyB, differ } where onlyA / onlyB
 * are metric names present on one side only and differ names metrics whose header or points differ.
 */
export function compareTrees(a, b) {
  const onlyA = Object.keys(a).filter((m) => !(m in b));
  const onlyB = Object.keys(b).filter((m) => !(m in a));
  const differ = [];
  let points = 0;
  for (const [m, fa] of Object.entries(a)) {
    points += fa.points.length;
    if (!(m in b)) continue;
    if (JSON.stringify(fa) !== JSON.stringify(b[m])) differ.push(m);
  }
  return { metrics: Object.keys(a).length, points, onlyA, onlyB, differ };
}
