// Runs README examples exactly as written, inside a network namespace the test made for them
// (`unshare --net --mount`): there, carbon listens on 127.0.0.1:2004 (the client's default), three
// carbon-caches on 10.0.0.1-3:2004 (the cluster example's destinations, on the namespace's own loopback),
// a TLS endpoint on 127.0.0.1:20040 whose certificate names carbon.hostedgraphite.com, and /etc/hosts
// (bind-mounted over, in this mount namespace only) points carbon.example and carbon.hostedgraphite.com
// at 127.0.0.1. Nothing leaves the namespace. The examples' runtimes trust the test CA through the
// environment (NODE_EXTRA_CA_CERTS, DENO_CERT), as a user trusting a private CA would.
//
// Usage (as root): unshare --net --mount node readme-sandbox.mjs JOB.json
//   JOB.json: { dir, python, harness, jobs: [{ id, cmd, args, cwd, env, stdin, timeout }], waits: [{ cache, n, prefix }] }
// Writes dir/results.json: { runs: [{ id, code, signal, stdout, stderr, ms }], stored: { path: [[ts, v]] } }.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { dir, python, harness } = job;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = []; // child processes to stop at the end, by PID

function sh(cmd, args) {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// ---- the namespace's network and names ----
sh('ip', ['link', 'set', 'lo', 'up']);
for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) sh('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost carbon.example carbon.hostedgraphite.com\n::1 localhost\n');
sh('mount', ['--bind', join(dir, 'hosts'), '/etc/hosts']);

// ---- a CA, and a certificate for the TLS endpoint ----
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=carbon-pickle README CA',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=carbon.hostedgraphite.com');
writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:carbon.hostedgraphite.com,DNS:carbon.example\nextendedKeyUsage=serverAuth\n');
openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');

// ---- carbon-caches on fixed ports ----
async function startCarbon(name, iface) {
  const work = join(dir, name);
  mkdirSync(work);
  const child = spawn(python, [harness, 'serve', work, iface], {
    stdio: 'ignore',
    env: { ...process.env, CARBON_PICKLE_HARNESS_PICKLE_PORT: '2004' },
  });
  started.push(child);
  for (let i = 0; i < 1200 && !existsSync(join(work, 'ports.json')); i++) {
    if (child.exitCode !== null) throw new Error(`carbon ${name} exited`);
    await sleep(50);
  }
  if (!existsSync(join(work, 'ports.json'))) throw new Error(`carbon ${name} did not start`);
  return work;
}

function startTls() {
  const server = tls.createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) }, (c) => {
    const up = net.connect({ host: '127.0.0.1', port: 2004 });
    c.pipe(up);
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
  });
  return new Promise((resolve) => server.listen(20040, '127.0.0.1', () => resolve(server)));
}

function runJob({ id, cmd, args = [], cwd, env = {}, stdin, timeout = 60000 }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'), DENO_CERT: join(dir, 'ca.crt'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdin.end(stdin ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ id, code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const results = { runs: [], stored: {} };
let server = null;
try {
  const caches = await Promise.all([
    startCarbon('carbon', '127.0.0.1'),
    startCarbon('cache-a', '10.0.0.1'),
    startCarbon('cache-b', '10.0.0.2'),
    startCarbon('cache-c', '10.0.0.3'),
  ]);
  server = await startTls();
  for (const j of job.jobs) results.runs.push(await runJob(j));
  // Carbon writes what it holds within a second or so; wait for what the test expects (up to 30 s each).
  for (const { cache, n, prefix } of job.waits ?? []) {
    const work = caches[['127.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.3'].indexOf(cache)];
    try {
      execFileSync(python, [harness, 'wait', work, String(n), '30', prefix], { stdio: 'ignore' });
    } catch {
      // the test's assertions say what is missing
    }
  }
  await sleep(1500);
  for (const [i, work] of caches.entries()) {
    const out = execFileSync(python, [harness, 'dump', work], { maxBuffer: 1 << 28 }).toString();
    results.stored[['127.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.3'][i]] = JSON.parse(out);
  }
} catch (err) {
  results.error = String(err?.stack ?? err);
} finally {
  server?.close();
  for (const c of started) if (c.exitCode === null) c.kill('SIGTERM');
  // The harnesses stop their carbons on SIGTERM; wait for that (5 s at most) before the namespace goes.
  await Promise.race([Promise.all(started.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))), sleep(5000)]);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
}
process.exit(0);
