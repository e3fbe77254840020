// Builds dist/ once before the suite, so that CLI tests run the real compiled commands as processes.
// Type errors do not stop the emit; `npm run typecheck` reports them.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
}
