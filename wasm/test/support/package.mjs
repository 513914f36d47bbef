// The package as users get it: `npm pack` of this directory, installed into a scratch project.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The runtimes from the package's devDependencies (deno, bun, workerd, tsc). */
export const bin = (name) => join(pkgDir, 'node_modules', '.bin', name);
export const DENO_ENV = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };

/** Packs the package and installs the tarball into a new scratch project: { scratch, tarball, remove() }. */
export async function installPacked(prefix) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: pkgDir });
  const tarball = join(scratch, stdout.trim().split('\n').pop());
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, version: '0.0.0' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: scratch });
  return {
    scratch,
    tarball,
    remove() {
      if (!process.env.KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * The package's modules as workerd config entries (what wrangler would bundle for the workerd condition):
 * every ES module and the .wasm as a compiled module, named by their paths under `scratch`.
 */
export function workerdModules(scratch) {
  const modules = [];
  for (const dir of ['js', 'pkg/web', 'pkg/full-web']) {
    for (const f of readdirSync(join(scratch, 'node_modules', 'carbon-pickle', dir))) {
      const rel = `node_modules/carbon-pickle/${dir}/${f}`;
      if (/\.(mjs|js)$/.test(f) && !['node.mjs', 'client.mjs', 'inspect.mjs', 'route.mjs'].includes(f)) modules.push(`(name = "${rel}", esModule = embed "${rel}")`);
      if (f.endsWith('.wasm')) modules.push(`(name = "${rel}", wasm = embed "${rel}")`);
    }
  }
  return modules;
}
