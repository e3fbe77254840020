// The compiled server started on PostgreSQL (DATABASE_URL): it migrates an empty database, names
// the store in its start-up line without the password, answers health checks and stops cleanly;
// with a database it cannot reach it stops at once with one line and a non-zero exit.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/postgresMigrations.js';
import { freePort } from '../../src/testing/embeddedPostgres.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';
import { childEnv, type Exit } from '../../src/testing/processes.js';
import { exitWithin, get, ROOT, serverEnv, startServer, tempDir } from './proc.js';

const tmp = tempDir('ops-pg-');
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});
afterAll(() => {
  tmp.cleanup();
});

describe('the server on PostgreSQL', () => {
  it('migrates, logs the store without its password, answers /healthz and /readyz, and exits 0 on SIGTERM', async () => {
    const server = await startServer(serverEnv(join(tmp.dir, 'unused.db'), { DATABASE_URL: db.url }));
    try {
      const listening = server.logs().find((l) => l.msg === 'listening');
      const { port, password } = new URL(db.url);
      expect(listening?.store).toBe(`PostgreSQL 127.0.0.1:${port}/${db.name}`);
      expect(server.output()).not.toContain(password);
      expect((await get(server.url, '/healthz')).status).toBe(200);
      expect((await get(server.url, '/readyz')).status).toBe(200);
      const applied = await db.sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.flatMap((m, i) => (m === null ? [] : [i + 1])));
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await exitWithin(server.exited, 15_000)).toMatchObject({ code: 0 });
  });

  it('exits 1 at once, in one line without the password, when the database cannot be reached', async () => {
    const port = await freePort();
    const url = `postgres://sms:Sup3r-Secret@127.0.0.1:${port}/citizens`;
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
      env: childEnv(serverEnv(join(tmp.dir, 'unused.db'), { DATABASE_URL: url })),
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<Exit>((resolve) =>
      child.on('close', (code, signal) => {
        resolve({ code, signal });
      }),
    );
    expect(await exitWithin(exited, 15_000)).toMatchObject({ code: 1 });
    expect(stderr).toMatch(
      new RegExp(`^error: cannot open the database PostgreSQL 127\\.0\\.0\\.1:${port}/citizens: [^\\n]*ECONNREFUSED[^\\n]*\\n$`),
    );
    expect(stderr + stdout).not.toContain('Sup3r-Secret');
  });
});
