// `admin backup <file>` while the server keeps serving: SQLite's online backup gives a consistent
// copy that passes `PRAGMA integrity_check`, with every citizen and the audit rows committed so
// far; the server is not disturbed. An existing target file is refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { exitWithin, person, post, runTool, seedFake, serverEnv, signedSms, startServer, startTool, tempDir } from './proc.js';
import type { ServerProcess } from '../../src/testing/processes.js';

const RECORDS = 5_000;
const tmp = tempDir('ops-backup-');
const db = join(tmp.dir, 'live.db');
let server: ServerProcess;

beforeAll(async () => {
  await seedFake(db, RECORDS);
  server = await startServer(serverEnv(db));
});
afterAll(async () => {
  server.proc.kill('SIGTERM');
  await exitWithin(server.exited, 15_000);
  tmp.cleanup();
});

describe('online backup', () => {
  it('makes a consistent copy while the server serves lookups', async () => {
    const copy = join(tmp.dir, 'copy.db');
    let running = true;
    let next = 0;
    let answered = 0;
    const statuses = new Map<number | string, number>();
    // A steady stream of lookups from distinct registered senders, until the backup is done.
    const client = async () => {
      while (running) {
        const p = person(next++ % RECORDS);
        const a = await post(server.url, '/sms', signedSms(p.phone, `TT ${p.id}`));
        const key = a.kind === 'complete' ? a.status : a.kind;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        answered++;
      }
    };
    const clients = Array.from({ length: 6 }, client);
    while (answered < 100) await new Promise((resolve) => setTimeout(resolve, 10));
    const answeredBefore = answered;
    const backup = startTool('admin', ['backup', copy], { DATABASE_PATH: db });
    const exit = await exitWithin(backup.exited, 30_000);
    const answeredDuring = answered - answeredBefore;
    running = false;
    await Promise.all(clients);

    expect(exit.code, backup.stderr()).toBe(0);
    expect(backup.stdout()).toMatch(new RegExp(`integrity ok, ${RECORDS} citizens, \\d+ audit rows`));
    // The server never faltered: every request got a 200.
    expect([...statuses.keys()]).toEqual([200]);
    expect(answeredDuring).toBeGreaterThan(0);

    const live = new Database(db, { readonly: true });
    const liveAudit = live.prepare(`SELECT count(*) FROM audit_log`).pluck().get() as number;
    live.close();
    const c = new Database(copy, { readonly: true });
    try {
      expect(c.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(c.prepare(`SELECT count(*) FROM citizens`).pluck().get()).toBe(RECORDS);
      const copied = c.prepare(`SELECT count(*) FROM audit_log`).pluck().get() as number;
      // Everything answered before the backup started is in the copy; nothing after the live count.
      expect(copied).toBeGreaterThanOrEqual(answeredBefore);
      expect(copied).toBeLessThanOrEqual(liveAudit);
      expect(c.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      c.close();
    }
    expect(answered).toBe(liveAudit);
  });

  it('refuses to overwrite an existing file (exit 2) and leaves it untouched', async () => {
    const target = join(tmp.dir, 'existing.db');
    writeFileSync(target, 'not a database');
    const r = await runTool('admin', ['backup', target], { DATABASE_PATH: db });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exists/);
    expect(readFileSync(target, 'utf8')).toBe('not a database');
  });

  it('restores: the copy opens as the database of a new server', async () => {
    const copy = join(tmp.dir, 'restore-source.db');
    expect((await runTool('admin', ['backup', copy], { DATABASE_PATH: db })).code).toBe(0);
    const restored = await startServer(serverEnv(copy));
    try {
      const p = person(42);
      const a = await post(restored.url, '/sms', signedSms(p.phone, `CC ${p.id}`));
      expect(a).toMatchObject({ kind: 'complete', status: 200 });
      expect((await fetch(`${restored.url}/readyz`)).status).toBe(200);
    } finally {
      restored.proc.kill('SIGTERM');
      expect(await exitWithin(restored.exited, 15_000)).toMatchObject({ code: 0 });
    }
  });
});
