// The real carbon daemon for the package's tests, through the project's harness (tests/carbon/harness.py),
// and CPython's view of frames (tests/carbon/decode.py: pickle.loads and carbon's own unpickler).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PYTHON = process.env.CARBON_PICKLE_PYTHON ?? join(homedir(), '.cache', 'carbon-pickle', 'venv', 'bin', 'python');
const HARNESS = join(repo, 'tests', 'carbon', 'harness.py');
const DECODE = join(repo, 'tests', 'carbon', 'decode.py');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `every` ms until it returns a truthy value or `ms` pass. */
export async function until(check, ms, what, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Whether a process is still running. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts carbon-cache in a fresh directory. Returns { dir, port, dump(), wait(n), kill(), restart(), stop() }.
 * `kill` SIGKILLs carbon (a crash) and `restart` starts carbon again with the same configuration and ports.
 * With `{ graphite: true }`, graphite-web 1.1.10 runs beside it (harness.py serve --graphite): carbon
 * registers tagged series there, and `graphite(path)` GETs JSON from it (`graphiteUrl` is its address).
 */
export async function startCarbon({ graphite = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-pickle-wasm-'));
  const log = openSync(join(dir, 'harness.log'), 'a');
  const harness = spawn(PYTHON, [HARNESS, 'serve', dir, ...(graphite ? ['--graphite'] : [])], { stdio: ['ignore', log, log] });
  closeSync(log);
  const portsFile = join(dir, 'ports.json');
  await until(() => existsSync(portsFile) || harness.exitCode !== null, 60000, 'carbon to listen');
  if (!existsSync(portsFile)) throw new Error(`the carbon harness exited:\n${readFileSync(join(dir, 'harness.log'), 'utf8')}`);
  const ports = JSON.parse(readFileSync(portsFile, 'utf8'));
  let carbonPid = ports.pid;
  const extra = []; // carbon processes started by restart()

  const self = {
    dir,
    port: ports.pickle,
    linePort: ports.line,
    graphiteUrl: ports.graphite === undefined ? undefined : `http://127.0.0.1:${ports.graphite}`,
    /** GETs `path` (with its query) from graphite-web; the JSON it answers. */
    async graphite(path) {
      const r = await fetch(self.graphiteUrl + path);
      if (r.status !== 200) throw new Error(`graphite-web answered ${r.status} to ${path}: ${await r.text()}`);
      return r.json();
    },
    /** Every stored point by metric; only the metrics under `prefix` if given (faster on a full carbon). */
    async dump(prefix) {
      const { stdout } = await run(PYTHON, [HARNESS, 'dump', dir, ...(prefix === undefined ? [] : [prefix])], { maxBuffer: 1 << 30 });
      return JSON.parse(stdout);
    },
    async count() {
      const d = await self.dump();
      return Object.values(d).reduce((n, pts) => n + pts.length, 0);
    },
    /** Waits until `n` points are stored; only points of metrics under `prefix` count, if given. */
    async wait(n, timeoutS = 60, prefix) {
      const only = prefix === undefined ? [] : [prefix];
      await run(PYTHON, [HARNESS, 'wait', dir, String(n), String(timeoutS), ...only], { maxBuffer: 1 << 24 });
    },
    /** SIGKILLs carbon: a crash, with whatever it had not written lost. */
    async kill() {
      process.kill(carbonPid, 'SIGKILL');
      await until(() => !alive(carbonPid), 10000, 'carbon to die');
      await until(async () => !(await accepts(self.port)), 10000, 'the port to close');
    },
    /** Starts carbon again on the same ports, through the harness (which stops it if this process dies). */
    async restart() {
      const out = openSync(join(dir, 'harness.log'), 'a');
      const child = spawn(PYTHON, [HARNESS, 'again', dir], { stdio: ['ignore', 'pipe', out] });
      closeSync(out);
      extra.push(child);
      const pid = await new Promise((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
          if (text.includes('\n')) resolve(Number(text.trim()));
        });
        child.on('exit', (code) => reject(new Error(`carbon did not start again (harness exit ${code}): see ${join(dir, 'harness.log')}`)));
      });
      child.stdout.resume();
      carbonPid = pid;
    },
    async stop() {
      for (const pid of [ports.harness_pid, ...extra.map((c) => c.pid)]) {
        if (alive(pid)) process.kill(pid, 'SIGTERM');
      }
      for (const pid of [ports.harness_pid, carbonPid, ...extra.map((c) => c.pid)]) {
        await until(() => !alive(pid), 20000, `process ${pid} to stop`).catch(() => process.kill(pid, 'SIGKILL'));
      }
      if (!process.env.KEEP_CARBON) rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Decodes frames with CPython (pickle.loads and carbon's unpickler): one [path, ts, value] list per frame. */
export function decodeFrames(frames, { maxBytes } = {}) {
  return new Promise((resolve, reject) => {
    const args = [DECODE];
    if (maxBytes !== undefined) args.push('--max-bytes', String(maxBytes));
    const py = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    py.stdout.on('data', (d) => out.push(d));
    py.stderr.on('data', (d) => err.push(d));
    py.on('close', (code) => {
      if (code !== 0) reject(new Error(`decode.py exited ${code}: ${Buffer.concat(err)}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
    });
    for (const f of frames) py.stdin.write(f);
    py.stdin.end();
  });
}
