// Crash safety with SIGKILL, which no code can intercept:
// - the server killed under load loses nothing it acknowledged: every reply that carried a
//   citizen's data has its audit row (written and committed before the reply was sent);
// - a seed killed in the middle leaves the database as it was (strict mode) or with whole
//   committed batches (--skip-invalid), never a half-written row, and the file passes
//   `PRAGMA integrity_check`.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRow } from '../../src/seeding/fake.js';
import {
  exitWithin,
  get,
  person,
  post,
  runTool,
  seedFake,
  serverEnv,
  signedSms,
  startServer,
  startTool,
  tempDir,
  TWIML_MESSAGE,
  type FakePerson,
  type ToolProcess,
} from './proc.js';

const tmp = tempDir('ops-crash-');
afterAll(() => {
  tmp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openDb(file: string): Database.Database {
  // Read-write, so that opening recovers the write-ahead log the killed process left behind.
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  return db;
}

describe('the server killed with SIGKILL under load', () => {
  const db = join(tmp.dir, 'server.db');
  const RECORDS = 300;
  beforeAll(async () => {
    await seedFake(db, RECORDS);
  });

  it('has an audit row, outcome served, for every reply that carried data', async () => {
    const server = await startServer(serverEnv(db));
    const people = Array.from({ length: RECORDS }, (_, i) => person(i));
    const served: { sid: string; p: FakePerson }[] = [];
    const sent = new Set<string>();
    const failures: string[] = [];
    let next = 0;
    let answers = 0;
    let killed = false;
    // 16 clients in parallel, each sender asks at most a few times (below the hourly limit).
    const client = async () => {
      // Until the server is gone (bounded, in case it never goes).
      for (let n = 0; n < 1_000; n++) {
        const p = people[next++ % RECORDS] as FakePerson;
        const request = signedSms(p.phone, `TT ${p.id}`);
        sent.add(request.sid);
        const answer = await post(server.url, '/sms', request);
        if (answer.kind !== 'complete') return; // the server is gone: stop
        answers++;
        if (answer.status !== 200) failures.push(`status ${answer.status}`);
        else if (answer.body.includes(p.name)) {
          expect(answer.body).toMatch(TWIML_MESSAGE);
          served.push({ sid: request.sid, p });
        }
        if (answers >= 300 && !killed) {
          killed = true;
          server.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    const exit = await exitWithin(server.exited, 10_000);
    expect(exit.signal).toBe('SIGKILL');
    expect(failures).toEqual([]);
    expect(served.length).toBeGreaterThanOrEqual(250);

    // Restart on the same database: it recovers and serves.
    const again = await startServer(serverEnv(db));
    expect((await get(again.url, '/readyz')).status).toBe(200);
    const p = person(RECORDS - 1);
    const afterRequest = signedSms(p.phone, `CC ${p.id}`);
    sent.add(afterRequest.sid);
    const after = await post(again.url, '/sms', afterRequest);
    expect(after).toMatchObject({ kind: 'complete', status: 200 });
    again.proc.kill('SIGTERM');
    expect(await exitWithin(again.exited, 10_000)).toMatchObject({ code: 0 });

    const check = openDb(db);
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      const row = check.prepare(`SELECT outcome, sender, target_id FROM audit_log WHERE message_sid = ?`);
      const missing = served.filter(({ sid, p }) => {
        const r = row.get(sid) as { outcome: string; sender: string; target_id: string } | undefined;
        return !(r?.outcome === 'served' && r.sender === p.phone && r.target_id === p.id);
      });
      expect(missing.map((m) => m.sid)).toEqual([]);
      // Nothing beyond what the clients sent; and rows whose reply did not reach a client are at
      // most the requests in flight when the server was killed (one per client) and the one after.
      const audited = check.prepare<[], string>(`SELECT message_sid FROM audit_log WHERE outcome = 'served'`).pluck().all();
      expect(audited.filter((sid) => !sent.has(sid))).toEqual([]);
      const answered = new Set(served.map((s) => s.sid));
      expect(audited.filter((sid) => !answered.has(sid)).length).toBeLessThanOrEqual(16 + 1);
    } finally {
      check.close();
    }
  });
});

describe('a seed killed with SIGKILL in the middle', () => {
  const BIG = 200_000;
  const BATCH = 5_000;
  const bigCsv = join(tmp.dir, 'big.csv');
  const original = fakeRow(0);
  // Row 0 of the big file, already present with another name: strict mode would overwrite it.
  const preexisting = { ...original, full_name: 'Người Cũ Thử' };
  // A record the big file does not contain.
  const outsider = fakeRow(BIG + 50_000);

  beforeAll(async () => {
    const r = await runTool('seed', ['--fake', String(BIG), '--out', bigCsv], {});
    expect(r.code).toBe(0);
  }, 60_000);

  async function preseed(file: string, rows: object[]): Promise<void> {
    const json = join(tmp.dir, `${rows.length}-${Date.now()}.json`);
    writeFileSync(json, JSON.stringify(rows));
    const r = await runTool('seed', [json], { DATABASE_PATH: file });
    expect(r.code, r.stderr).toBe(0);
  }

  /** Bytes the process has read so far (`rchar` of /proc/<pid>/io: files, pipes, everything). */
  function bytesRead(tool: ToolProcess): number {
    try {
      return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${tool.proc.pid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  async function killWhen(seed: ToolProcess, ready: () => boolean): Promise<void> {
    const deadline = Date.now() + 30_000;
    const seedEnded = { done: false };
    void seed.exited.then(() => (seedEnded.done = true));
    while (!ready()) {
      if (seedEnded.done) throw new Error(`the seed ended before it could be killed: ${seed.stdout()} ${seed.stderr()}`);
      if (Date.now() > deadline) throw new Error('the seed made no visible progress');
      await sleep(20);
    }
    seed.proc.kill('SIGKILL');
    const exit = await exitWithin(seed.exited, 10_000);
    // Killed, not finished: otherwise the test would prove nothing.
    expect(exit.signal, `seed exited by itself: ${seed.stdout()}`).toBe('SIGKILL');
  }

  it('strict mode: the database is exactly as before the seed', async () => {
    const file = join(tmp.dir, 'strict.db');
    await preseed(file, [preexisting, outsider]);
    const before = openDb(file);
    const rowBefore = before.prepare(`SELECT * FROM citizens WHERE id_number = ?`).get(original.id_number);
    const countBefore = before.prepare(`SELECT count(*) FROM citizens`).pluck().get() as number;
    before.close();
    expect(countBefore).toBe(2);
    expect(rowBefore).toMatchObject({ full_name: 'Người Cũ Thử' });

    const seed = startTool('seed', [bigCsv], { DATABASE_PATH: file });
    // The one transaction opens before the file is read and commits after its last row: kill it
    // once the process has read half the file (or, whatever the write strategy, once it has
    // spilled several MiB of pages to the WAL).
    const half = statSync(bigCsv).size / 2;
    const wal = `${file}-wal`;
    await killWhen(seed, () => bytesRead(seed) > half || (existsSync(wal) && statSync(wal).size > 8 * 1024 * 1024));

    const after = openDb(file);
    try {
      expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(after.prepare(`SELECT count(*) FROM citizens`).pluck().get()).toBe(countBefore);
      expect(after.prepare(`SELECT * FROM citizens WHERE id_number = ?`).get(original.id_number)).toEqual(rowBefore);
    } finally {
      after.close();
    }
  });

  it('--skip-invalid: only whole committed batches of 5000 rows', async () => {
    const file = join(tmp.dir, 'skip.db');
    await preseed(file, [outsider]);
    const seed = startTool('seed', [bigCsv, '--skip-invalid'], { DATABASE_PATH: file });
    const watch = new Database(file, { readonly: true });
    const count = watch.prepare(`SELECT count(*) FROM citizens`).pluck();
    try {
      // Kill once at least two batches are committed (the next one is then being written).
      await killWhen(seed, () => (count.get() as number) >= 1 + 2 * BATCH);
    } finally {
      watch.close();
    }

    const after = openDb(file);
    try {
      expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
      const added = (after.prepare(`SELECT count(*) FROM citizens`).pluck().get() as number) - 1;
      expect(added).toBeGreaterThanOrEqual(2 * BATCH);
      expect(added).toBeLessThan(BIG);
      expect(added % BATCH).toBe(0);
      // The committed batches are the first rows of the file, whole; the next row is absent.
      const has = after.prepare(`SELECT full_name FROM citizens WHERE id_number = ?`).pluck();
      expect(has.get(fakeRow(0).id_number)).toBe(fakeRow(0).full_name);
      expect(has.get(fakeRow(added - 1).id_number)).toBe(fakeRow(added - 1).full_name);
      expect(has.get(fakeRow(added).id_number)).toBeUndefined();
      expect(has.get(outsider.id_number)).toBe(outsider.full_name);
    } finally {
      after.close();
    }
  });
});
