// Builds dist/ from the TypeScript sources once, and keeps the tools from running a stale build.
//
//   node scripts/build.js             build (tsc -p tsconfig.build.json), then record the sources' digest
//   node scripts/build.js --prepare   npm's prepare step (npm install, npm ci): the same build, or a note
//                                     and exit 0 when TypeScript is not installed (npm ci --omit=dev
//                                     next to a build made elsewhere)
//
// scripts/run.js calls ensureFresh() before every `npm start` and tool: it compares the digest of
// the sources with the one recorded at the last build (a few milliseconds), and rebuilds when they
// differ, or refuses when TypeScript is not there to rebuild.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder: the one above scripts/. */
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Where the digest of the sources of the last successful build is kept. */
const STAMP = join('dist', '.sources.sha256');
/** Files whose content decides the build: the compiler settings, then what tsc compiles or copies. */
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
const FOLDERS = ['src', 'bench', 'data'];
/** Compiled or imported (JSON modules); tests are not part of the build. */
const isInput = (name) => (name.endsWith('.ts') && !name.endsWith('.test.ts')) || name.endsWith('.json');

function* inputFiles(root, folder) {
  const dir = join(root, folder);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* inputFiles(root, path);
    else if (isInput(entry.name)) yield path;
  }
}

/** SHA-256 over the path and content of every input of the build, in a fixed order. */
export function sourcesDigest(root = ROOT) {
  const hash = createHash('sha256');
  const files = [...SETTINGS.filter((f) => existsSync(join(root, f))), ...FOLDERS.flatMap((f) => [...inputFiles(root, f)])];
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The digest recorded by the last successful build, or undefined. */
function recordedDigest(root) {
  try {
    return readFileSync(join(root, STAMP), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The TypeScript compiler's script, or undefined when TypeScript is not installed. */
function compiler(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/** Compiles the project; returns tsc's exit code (0: built and recorded). */
export function build(root = ROOT, tsc = compiler(root)) {
  if (!tsc) {
    console.error('error: TypeScript is not installed (npm ci installs it): cannot build dist/');
    return 1;
  }
  const digest = sourcesDigest(root);
  const started = Date.now();
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`error: the build failed (tsc -p tsconfig.build.json exited ${run.status ?? run.signal}): fix the errors above`);
    return run.status || 1;
  }
  writeFileSync(join(root, STAMP), `${digest}\n`);
  console.error(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/**
 * Makes sure dist/ was built from the sources as they are now: returns 0 when it was (or after
 * rebuilding it), else an exit code, having printed why.
 */
export function ensureFresh(root = ROOT) {
  if (recordedDigest(root) === sourcesDigest(root)) return 0;
  const tsc = compiler(root);
  const what = existsSync(join(root, STAMP)) ? 'the sources changed since the last build' : 'dist/ is not built yet';
  if (!tsc) {
    console.error(`error: ${what} and TypeScript is not installed to build it: run npm ci (or npm run build where it is)`);
    return 1;
  }
  console.error(`${what}: building dist/ (once)...`);
  return build(root, tsc);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [option, ...rest] = process.argv.slice(2);
  if (rest.length > 0 || (option !== undefined && option !== '--prepare')) {
    console.error('usage: node scripts/build.js [--prepare]');
    process.exit(2);
  }
  if (option === '--prepare' && !compiler(ROOT)) {
    console.error(
      `note: TypeScript is not installed, so dist/ is not built here (${relative(process.cwd(), join(ROOT, 'dist')) || 'dist'} must come from a build)`,
    );
    process.exit(0);
  }
  process.exit(build(ROOT));
}
