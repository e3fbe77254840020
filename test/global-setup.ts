// Builds dist/ once before the suite, so that CLI tests run the real compiled commands as processes.
// A compiler error fails the run: tests must not pass against a stale or partial build.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (tsc.error) throw tsc.error;
  if (tsc.status !== 0) {
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal ?? '?'}):\n${tsc.stdout}${tsc.stderr}`);
  }
}
