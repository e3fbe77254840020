/** Where the project's files are, whether running from `src/` (tests) or `dist/src/` (built). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project folder (package.json)');
    dir = parent;
  }
  return dir;
}

/** The project's root folder (the one with package.json). */
export const PROJECT_ROOT = findRoot();

/** The sample records that demo mode seeds into an empty database. */
export const SAMPLE_CSV = join(PROJECT_ROOT, 'data', 'sample-citizens.csv');
