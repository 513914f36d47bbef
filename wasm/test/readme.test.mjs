// Every README example runs as written. The examples come from scripts/readme-examples.py (each block is
// marked with the runtimes that run it), so a block marked for a runtime cannot be skipped, and a README
// that changes is tested as it now reads. They run in a scratch project where the packed tarball is
// installed (as a user has it), inside a network namespace made for them (test/support/readme-sandbox.mjs):
// carbon on 127.0.0.1:2004, the client's default, three caches for the cluster example, a TLS endpoint as
// carbon.hostedgraphite.com:20040. What they sent is then read back from carbon's whisper files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PYTHON } from './support/carbon.mjs';
import { bin, DENO_ENV, installPacked, pkgDir } from './support/package.mjs';

const repo = join(pkgDir, '..');
const HG_API_KEY = 'readme-api-key';

function blocks(kind) {
  const out = execFileSync('python3', [join(repo, 'scripts', 'readme-examples.py'), 'extract', kind], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** `$ ` lines of a transcript are run; what follows each, up to the next, is the output expected. */
function transcript(code) {
  const steps = [];
  for (const line of code.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) steps.push({ cmd: line.slice(2), expected: [] });
    else steps.at(-1).expected.push(line);
  }
  return steps;
}

describe('README examples, exactly as written', () => {
  let pkg;
  let results;
  const jobs = [];
  const where = new Map(); // job id -> "README.md:LINE in RUNTIME"

  before(async () => {
    pkg = await installPacked('carbon-pickle-readme-');
    const cwd = pkg.scratch;
    const path = `${join(cwd, 'node_modules', '.bin')}:${join(pkgDir, 'node_modules', '.bin')}:${process.env.PATH}`;
    const env = { HG_API_KEY, PATH: path, ...DENO_ENV_EXTRA() };
    writeFileSync(join(cwd, 'lines'), Array.from({ length: 50 }, (_, i) => `cli.lines.m${i} ${i}`).join('\n') + '\n');
    const add = (b, runtime, cmd, args, extra = {}) => {
      const id = `${jobs.length}`;
      where.set(id, `${b.file}:${b.line} in ${runtime}`);
      jobs.push({ id, cmd, args, cwd, env, timeout: 90000, ...extra });
    };
    let k = 0;
    for (const b of blocks('node-esm')) {
      writeFileSync(join(cwd, `esm${++k}.mjs`), b.code);
      add(b, 'Node (ESM)', process.execPath, [`esm${k}.mjs`]);
    }
    for (const b of blocks('node-cjs')) {
      writeFileSync(join(cwd, `cjs${++k}.cjs`), b.code);
      add(b, 'Node (CommonJS)', process.execPath, [`cjs${k}.cjs`]);
    }
    for (const b of blocks('deno')) {
      writeFileSync(join(cwd, `deno${++k}.mjs`), b.code);
      // The permission the README names for the client: --allow-net, nothing else.
      add(b, 'Deno --allow-net', bin('deno'), ['run', '--quiet', '--no-config', '--node-modules-dir=manual', '--allow-net', `deno${k}.mjs`]);
    }
    for (const b of blocks('bun')) {
      writeFileSync(join(cwd, `bun${++k}.mjs`), b.code);
      add(b, 'Bun', bin('bun'), [`bun${k}.mjs`]);
    }
    for (const b of blocks('cli')) add(b, 'bash', 'bash', ['-euo', 'pipefail', '-c', b.code]);
    for (const b of blocks('transcript')) {
      for (const step of transcript(b.code)) add(b, 'bash (transcript)', 'bash', ['-c', `${step.cmd} 2>&1`], { expected: step.expected.join('\n') });
    }
    const jobFile = join(cwd, 'job.json');
    // What the examples store, waited for before the whisper files are read (at least these many points).
    const waits = [
      { cache: '127.0.0.1', n: 20000, prefix: 'backfill.' },
      { cache: '127.0.0.1', n: 5, prefix: 'KEY.app.' },
      { cache: '127.0.0.1', n: 3, prefix: `${HG_API_KEY}.` },
      { cache: '127.0.0.1', n: 2, prefix: 'servers.web01.cpu.' },
    ];
    writeFileSync(jobFile, JSON.stringify({ dir: cwd, python: PYTHON, harness: join(repo, 'tests', 'carbon', 'harness.py'), jobs, waits }));
    execFileSync('unshare', ['--net', '--mount', process.execPath, join(pkgDir, 'test', 'support', 'readme-sandbox.mjs'), jobFile], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 20 * 60 * 1000,
    });
    results = JSON.parse(readFileSync(join(cwd, 'results.json'), 'utf8'));
    if (results.error) throw new Error(`the sandbox failed: ${results.error}`);
  });

  after(() => pkg?.remove());

  it('every marked block ran and exited 0, with nothing on stderr but what it prints itself', () => {
    assert.ok(jobs.length >= 30, `only ${jobs.length} runs`);
    const failed = results.runs.filter((r) => r.code !== 0);
    assert.deepEqual(
      failed.map((r) => `${where.get(r.id)}: exit ${r.code ?? r.signal} after ${r.ms} ms\n${r.stderr.slice(0, 2000)}`),
      [],
    );
    // No warning about unreachable receivers or undelivered datapoints: every example delivered.
    const warned = results.runs.filter((r) => /cannot reach|not delivered|Warning/.test(r.stderr));
    assert.deepEqual(warned.map((r) => `${where.get(r.id)}: ${r.stderr.slice(0, 500)}`), []);
  });

  it('transcripts print what the README shows', () => {
    for (const r of results.runs) {
      const { expected } = jobs[r.id];
      if (expected === undefined) continue;
      assert.equal(r.stdout.replace(/\n$/, ''), expected, where.get(r.id));
    }
  });

  it('what the examples printed is what their comments say', () => {
    const printed = (needle) => results.runs.filter((r) => r.stdout.includes(needle)).map((r) => where.get(r.id));
    assert.ok(printed('1 2\n').length >= 3, 'encodeFrames example: "1 2"');
    assert.ok(printed('9 0 0 true').length >= 3, 'FrameEncoder example');
    assert.ok(printed('3 1\n').length >= 3, 'MetricSet example');
    assert.ok(printed('tags: 2 2\nboard.temp;board=mps2-an386\nERR_CARBON_INVALID_PATH').length >= 3, 'Graphite tags example');
    assert.ok(printed('20000 60000 0').length >= 3, 'backpressure example');
    assert.ok(printed('ERR_CARBON_INVALID_PATH 1').length >= 3, 'errors example');
    assert.ok(printed('delivered 2').length >= 1, 'CommonJS quick start');
  });

  it('carbon stored what the examples sent: by default to 127.0.0.1:2004, to carbon.example, over TLS with the key', () => {
    const local = results.stored['127.0.0.1'];
    const has = (path, n = 1) => (local[path]?.length ?? 0) >= n;
    assert.ok(has('servers.web01.cpu.user'), 'the quick starts');
    assert.ok(has('servers.web01.cpu.system'), 'the CommonJS quick start');
    assert.ok(has('KEY.app.requests') && has('KEY.app.latency.p99') && has('KEY.app.a') && has('KEY.app.b'), 'the client example (carbon.example)');
    assert.ok(has('backfill.series0', 20) && has('backfill.series999', 20), 'the backfill example: 20 minutes of every series');
    assert.ok(has(`${HG_API_KEY}.web.requests`), 'the Hosted Graphite example, over TLS, with the API key from the environment');
    assert.ok(has(`${HG_API_KEY}.deploys.web`) && has(`${HG_API_KEY}.deploys.api`), 'the one-shot send example');
  });

  it('the cluster examples reached all three caches, every datapoint twice (replication 2)', () => {
    const caches = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => results.stored[a]);
    for (const [prefix, n] of [['cluster.', 100], ['cli.lines.', 50]]) {
      const copies = new Map();
      for (const c of caches) {
        const mine = Object.keys(c).filter((p) => p.startsWith(prefix));
        assert.ok(mine.length > 0, `${prefix}: a cache got nothing`);
        for (const p of mine) copies.set(p, (copies.get(p) ?? 0) + 1);
      }
      assert.equal(copies.size, n, prefix);
      assert.ok([...copies.values()].every((x) => x === 2), `${prefix}: every metric on two caches`);
    }
  });
});

// Deno's environment for the examples: no update check, no colour.
function DENO_ENV_EXTRA() {
  return { DENO_NO_UPDATE_CHECK: DENO_ENV.DENO_NO_UPDATE_CHECK, NO_COLOR: '1' };
}
