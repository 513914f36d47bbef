#!/usr/bin/env node
// `npm pack` / `npm publish` run this first (the `prepack` script): the tarball must never ship without its
// generated pkg/ (the wasm modules and their glue), nor with a pkg/ older than the sources it is built from.
// When pkg/ is complete and newer than every source it builds it; otherwise it builds it with
// scripts/build.mjs, and when the build tools are missing it stops with what to install, so npm makes no
// tarball.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..');

// Every pkg/ file the package ships.
const shipped = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).files.filter((f) => f.startsWith('pkg/'));

function newest(dir, test) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, test));
    else if (test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function stale() {
  const missing = shipped.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) return `pkg/ lacks ${missing.join(', ')}`;
  const built = Math.min(...shipped.map((f) => statSync(join(root, f)).mtimeMs));
  const sources = Math.max(
    newest(join(root, 'src'), (n) => n.endsWith('.rs')),
    newest(join(repo, 'core', 'src'), (n) => n.endsWith('.rs')),
    ...['Cargo.toml', 'js/api.mjs', 'js/client-core.mjs', 'scripts/build.mjs', 'scripts/glue.mjs'].map((f) => statSync(join(root, f)).mtimeMs),
  );
  return sources > built ? 'pkg/ is older than its sources' : null;
}

function missingTools() {
  const missing = [];
  if (!existsSync(join(root, 'node_modules', '.bin', 'wasm-opt'))) missing.push('the devDependencies (npm install in wasm/: binaryen gives wasm-opt)');
  for (const [tool, hint] of [['wasm-pack', 'cargo install wasm-pack'], ['wasm-bindgen', 'cargo install wasm-bindgen-cli --version 0.2.130']]) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      missing.push(`${tool} (${hint})`);
    }
  }
  return missing;
}

const why = stale();
if (why === null) {
  console.error('prepack: pkg/ is up to date');
} else {
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(`prepack: ${why}, and it cannot be built here: missing ${missing.join('; ')}.`);
    console.error('prepack: from the repository, `bash scripts/setup.sh wasm` installs all of them. No tarball was made.');
    process.exit(1);
  }
  console.error(`prepack: ${why}: building it`);
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const still = stale();
  if (still !== null) {
    console.error(`prepack: after the build, ${still}. No tarball was made.`);
    process.exit(1);
  }
}
