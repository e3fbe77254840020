// Builds dist/ once before the suite (as `npm run build` does), so that CLI tests run the real
// compiled commands as processes. A compiler error fails the run: tests must not pass against a
// stale or partial build.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const build = spawnSync(process.execPath, ['scripts/build.js'], { encoding: 'utf8' });
  if (build.error) throw build.error;
  if (build.status !== 0) {
    throw new Error(`npm run build failed (exit ${build.status ?? build.signal ?? '?'}):\n${build.stdout}${build.stderr}`);
  }
}
