// Seeding PostgreSQL while two nodes serve from it: the first load (COPY straight into the empty
// table), a strict run that rejects a row, and a --skip-invalid run each leave the nodes answering
// while the seed's transaction (strict) or connection (--skip-invalid) is open, and exit with the
// same codes as on SQLite: 0 loaded, 1 rows rejected (nothing written in strict mode).
//
// "While" is checked, not timed: the seed's session is found in pg_stat_activity before the
// lookups are sent, and found again, in the same transaction, after every answer has come back.
// A lock that kept the nodes from reading `citizens` until the commit fails the strict cases. In
// --skip-invalid mode each batch commits on its own, so anything held per batch would delay the
// nodes by one batch at most: that the test cannot tell from ordinary work without timing it.
import { appendFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';
import { stopServer, type ServerProcess } from '../../src/testing/processes.js';
import { person, post, runTool, signedSms, startNode, startTool, tempDir, type Answer, type FakePerson, type ToolProcess } from './proc.js';

const RECORDS = 100_000;
/** A row the seed rejects (an ID of 9 digits), with every column of the fake file. */
const BAD_ROW = '001085999,Trần Văn Sai,1985-01-01,Nam,0912000111,,,,,,,,,,\n';

const tmp = tempDir('ops-pg-seed-');
const csv = join(tmp.dir, 'citizens.csv');
const csvWithBadRow = join(tmp.dir, 'citizens-bad.csv');
let db: TestDatabase;
let nodes: ServerProcess[] = [];
beforeAll(async () => {
  const written = await runTool('seed', ['--fake', String(RECORDS), '--out', csv], {});
  expect(written.code, written.stderr).toBe(0);
  copyFileSync(csv, csvWithBadRow);
  appendFileSync(csvWithBadRow, BAD_ROW);
  db = await createMigratedTestDatabase();
  const env = { RATE_LIMIT_PER_HOUR: '10', REPLY_LIMIT_PER_HOUR: '100' };
  nodes = await Promise.all([startNode(db.url, tmp.dir, env), startNode(db.url, tmp.dir, env)]);
}, 120_000);
afterAll(async () => {
  for (const node of nodes) await stopServer(node);
  await db.drop();
  tmp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Session {
  pid: number;
  /** When its transaction began, as text; null when it is between transactions. */
  xact: string | null;
}

/** The session of `pid`, if it is still connected. */
async function session(pid: number): Promise<Session | undefined> {
  const rows = await db.sql<Session>(`SELECT pid, xact_start::text AS xact FROM pg_stat_activity WHERE pid = $1`, [pid]);
  return rows[0];
}

/** The seed's session, once it is copying rows: polled until then; throws if the seed ends first. */
async function copyingSession(seed: ToolProcess): Promise<Session> {
  const seedState = { ended: false };
  void seed.exited.then(() => (seedState.ended = true));
  for (;;) {
    const rows = await db.sql<Session>(
      `SELECT pid, xact_start::text AS xact FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'COPY %' AND xact_start IS NOT NULL`,
    );
    if (rows[0]) return rows[0];
    if (seedState.ended) throw new Error(`the seed ended before it was seen copying: ${seed.stdout()} ${seed.stderr()}`);
    await sleep(20);
  }
}

/**
 * Runs a seed with `args` and, while it copies, sends one lookup of each of `people` to the nodes,
 * spread over both. Resolves with the answers, the seed's session seen before and after them, and
 * how the seed ended.
 */
async function lookupsDuringSeed(args: string[], people: FakePerson[]) {
  const seed = startTool('seed', args, { DATABASE_URL: db.url });
  const before = await copyingSession(seed);
  const answers = await Promise.all(
    people.map((p, i) => post((nodes[i % nodes.length] as ServerProcess).url, '/sms', signedSms(p.phone, `TT ${p.id}`))),
  );
  const after = await session(before.pid);
  const exit = await seed.exited;
  return { answers, before, after, code: exit.code, stdout: seed.stdout(), stderr: seed.stderr() };
}

const people = (from: number) => Array.from({ length: 20 }, (_, i) => person(from + i));
const bodies = (answers: Answer[]) => answers.map((a) => (a.kind === 'complete' ? `${a.status} ${a.body}` : a.kind));
const citizenCount = async () => (await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM citizens'))[0]?.n;

describe('seeding PostgreSQL while two nodes serve from it', () => {
  it(
    'the first load, COPYed into the empty table in one transaction: the nodes answer meanwhile; exit 0',
    { timeout: 120_000 },
    async () => {
      const r = await lookupsDuringSeed([csv], people(0));
      // The records are not visible before the commit: each lookup is answered, refused.
      for (const body of bodies(r.answers)) expect(body).toMatch(/^200 .*Khong the tra cuu/s);
      expect(r.after).toEqual(r.before); // the same transaction, still open after every answer
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`inserted ${RECORDS}, updated 0, rejected 0`);
      expect(await citizenCount()).toBe(RECORDS);
    },
  );

  it(
    'strict, a row rejected at the end of the file: the nodes serve meanwhile; exit 1 and nothing written',
    { timeout: 120_000 },
    async () => {
      const r = await lookupsDuringSeed([csvWithBadRow], people(20));
      r.answers.forEach((a, i) => {
        expect(a).toMatchObject({ kind: 'complete', status: 200 });
        expect(a.kind === 'complete' && a.body).toContain(people(20)[i]?.name);
      });
      expect(r.after).toEqual(r.before);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^line \d+: id_number: /m);
      expect(r.stdout).toContain('nothing written');
      expect(await citizenCount()).toBe(RECORDS);
    },
  );

  it('--skip-invalid, a row rejected: the nodes serve meanwhile; exit 1 and the valid rows committed', { timeout: 120_000 }, async () => {
    const r = await lookupsDuringSeed([csvWithBadRow, '--skip-invalid'], people(40));
    r.answers.forEach((a, i) => {
      expect(a).toMatchObject({ kind: 'complete', status: 200 });
      expect(a.kind === 'complete' && a.body).toContain(people(40)[i]?.name);
    });
    // Batch by batch: the same connection, still open (the seed ends it when done).
    expect(r.after?.pid).toBe(r.before.pid);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`inserted 0, updated ${RECORDS}, rejected 1`);
    expect(await citizenCount()).toBe(RECORDS);
  });
});
