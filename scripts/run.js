// Runs a compiled entry point of dist/ once the build is known to match the sources:
//   node [node flags] scripts/run.js dist/src/cli/seed.js [arguments...]
// npm start and the tools go through it (package.json). It costs a digest of the sources (a few
// milliseconds) and no second process: the entry point runs in this one, with the node flags given,
// and sees process.argv as if it had been started directly.
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureFresh, ROOT } from './build.js';

const [entry] = process.argv.splice(2, 1);
if (!entry) {
  console.error('usage: node scripts/run.js <dist/...js> [arguments...]');
  process.exit(2);
}
const code = ensureFresh(ROOT);
if (code !== 0) process.exit(code);
const script = isAbsolute(entry) ? entry : join(ROOT, entry);
process.argv[1] = script;
await import(pathToFileURL(script).href);
