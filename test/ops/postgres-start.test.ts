// The compiled server started on PostgreSQL (DATABASE_URL): it migrates an empty database, names
// the store in its start-up line without the password, answers health checks and stops cleanly;
// with a database it cannot reach (refused, silent, wrong credentials) or a malformed
// DATABASE_URL it stops by itself with one line, never the password, and a non-zero exit.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/postgresMigrations.js';
import { freePort } from '../../src/testing/embeddedPostgres.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';
import { childEnv, type Exit } from '../../src/testing/processes.js';
import { exitWithin, get, post, ROOT, serverEnv, signedSms, startServer, tempDir } from './proc.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('on a database that takes no writes (a standby not yet promoted): /sms and /readyz answer 503, /healthz 200; all 200 once it is writable', async () => {
    const server = await startServer(serverEnv(join(tmp.dir, 'unused.db'), { DATABASE_URL: db.url }));
    // The sessions a failover cuts; the pool's new ones land on a read-only database.
    const setReadOnly = async (on: boolean) => {
      await db.sql(`BEGIN READ WRITE; ALTER DATABASE ${db.name} SET default_transaction_read_only = ${on ? 'on' : 'off'}; COMMIT`);
      await db.terminateSessions();
    };
    const sms = async (text: string) => post(server.url, '/sms', signedSms('+84912345678', text));
    try {
      expect(await sms('HD')).toMatchObject({ kind: 'complete', status: 200 });
      await setReadOnly(true);
      // The pool drops the connections the server ended; wait until the node is on new ones.
      while ((await get(server.url, '/healthz')).status !== 200) await sleep(50);
      expect(await get(server.url, '/readyz')).toEqual({ status: 503, body: 'not ready' });
      expect(await sms('HD')).toMatchObject({ kind: 'complete', status: 503 });
      expect(server.logs().some((l) => l.msg === 'not ready' && JSON.stringify(l).includes('read-only'))).toBe(true);

      await setReadOnly(false);
      while ((await get(server.url, '/readyz')).status !== 200) await sleep(50);
      expect(await sms('HD')).toMatchObject({ kind: 'complete', status: 200 });
      expect(server.hasExited()).toBe(false);
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await exitWithin(server.exited, 15_000)).toMatchObject({ code: 0 });
  });

  it('exits 1 at once, in one line without the password, when the database cannot be reached', async () => {
    const port = await freePort();
    const url = `postgres://sms:Sup3r-Secret@127.0.0.1:${port}/citizens`;
    const r = await failedStart(url);
    expect(r.exit).toMatchObject({ code: 1 });
    expect(r.stderr).toMatch(
      new RegExp(`^error: cannot open the database PostgreSQL 127\\.0\\.0\\.1:${port}/citizens: [^\\n]*ECONNREFUSED[^\\n]*\\n$`),
    );
    expect(r.stderr + r.stdout).not.toContain('Sup3r-Secret');
  });

  it('exits 1 in one line when the server accepts the connection but never answers (the connect timeout)', async () => {
    // A TCP listener that says nothing, like a host behind a firewall that drops packets.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const r = await failedStart(`postgres://sms:Sup3r-Secret@127.0.0.1:${port}/citizens`);
      expect(r.exit).toMatchObject({ code: 1 });
      expect(r.stderr).toMatch(
        new RegExp(`^error: cannot open the database PostgreSQL 127\\.0\\.0\\.1:${port}/citizens: [^\\n]*timeout[^\\n]*\\n$`),
      );
      expect(r.stderr + r.stdout).not.toContain('Sup3r-Secret');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('exits 1 in one line, without either password, when the server refuses the credentials', async () => {
    const url = new URL(db.url);
    url.password = 'Wr0ng-Secret';
    const r = await failedStart(url.toString());
    expect(r.exit).toMatchObject({ code: 1 });
    expect(r.stderr).toMatch(/^error: cannot open the database PostgreSQL [^\n]*password authentication failed[^\n]*\n$/);
    expect(r.stderr + r.stdout).not.toContain('Wr0ng-Secret');
    expect(r.stderr + r.stdout).not.toContain(new URL(db.url).password);
  });

  it.each([
    ['not a URL', 'postgres//sms:Sup3r-Secret@db.example.vn/citizens', /must be a URL/],
    ['another scheme', 'mysql://sms:Sup3r-Secret@db.example.vn:3306/citizens', /must start with postgres:\/\/ or postgresql:\/\//],
    ['no database', 'postgresql://sms:Sup3r-Secret@db.example.vn:5432', /names no database/],
  ])('exits 1 in one line, without the password, for a malformed DATABASE_URL (%s)', async (_, url, reason) => {
    const r = await failedStart(url);
    expect(r.exit).toMatchObject({ code: 1 });
    expect(r.stderr).toMatch(/^error: Invalid setting DATABASE_URL: [^\n]+\n$/);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr + r.stdout).not.toContain('Sup3r-Secret');
  });
});

/** Starts the compiled server on `databaseUrl`, expecting it to stop by itself; waits for its exit. */
async function failedStart(databaseUrl: string): Promise<{ exit: Exit; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    env: childEnv(serverEnv(join(tmp.dir, 'unused.db'), { DATABASE_URL: databaseUrl })),
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
  try {
    return { exit: await exitWithin(exited, 15_000), stderr, stdout };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
