// Runs a compiled command-line tool as a real process (dist/ is built by test/global-setup.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { childEnv } from '../../src/testing/processes.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(tool: 'seed' | 'admin' | 'sms', args: string[], env: Record<string, string>): CliResult {
  const script = join(process.cwd(), 'dist', 'src', 'cli', `${tool}.js`);
  const r = spawnSync(process.execPath, [script, ...args], {
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
