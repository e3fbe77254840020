// Several webhook nodes on one PostgreSQL database, as real processes (the compiled server, in
// production mode): the hourly limit, the lockout and opt-out hold across nodes under
// concurrency; one MessageSid delivered to two nodes at once is recorded once and answered
// identically; LS on one node shows what the other served; SIGKILL of one node under load loses
// no audited reply and the other node keeps serving; nodes started together on an empty database
// migrate it once and all come up.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedTestDatabase,
  createTestDatabase,
  untilSessionsWaitForLocks,
  type TestDatabase,
} from '../../src/testing/postgres.js';
import { stopServer, type ServerProcess } from '../../src/testing/processes.js';
import { MIGRATIONS } from '../../src/store/postgresMigrations.js';
import {
  exitWithin,
  get,
  person,
  post,
  seedFakePostgres,
  signedSms,
  startNode,
  tempDir,
  TWIML_EMPTY,
  TWIML_MESSAGE,
  type Answer,
  type FakePerson,
  type SignedRequest,
} from './proc.js';

const tmp = tempDir('ops-nodes-');
afterAll(() => {
  tmp.cleanup();
});

const RECORDS = 600;
/** The production limits, stated; the reply budget raised so that only the lookup limit answers. */
const LIMITS = { RATE_LIMIT_PER_HOUR: '10', REPLY_LIMIT_PER_HOUR: '100', LOCKOUT_FAILURES: '5', LOCKOUT_HOURS: '24' };

type Complete = Extract<Answer, { kind: 'complete' }>;

/** The answer, which must be a complete HTTP response. */
function complete(answer: Answer): Complete {
  if (answer.kind !== 'complete') throw new Error(`no complete answer: ${JSON.stringify(answer)}`);
  return answer;
}

interface AuditRow {
  message_sid: string;
  sender: string;
  target_id: string | null;
  outcome: string;
}

/** The audit rows of these messages. */
function auditOf(db: TestDatabase, sids: string[]): Promise<AuditRow[]> {
  return db.sql<AuditRow>(`SELECT message_sid, sender, target_id, outcome FROM audit_log WHERE message_sid = ANY($1)`, [sids]);
}

/** How many rows have each outcome. */
function outcomes(rows: AuditRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/** A phone as LS shows another number: the first five characters, then the last three. */
const masked = (phone: string) => `${phone.slice(0, 5)}***${phone.slice(-3)}`;

describe('two nodes on one database', () => {
  let db: TestDatabase;
  let nodes: ServerProcess[] = [];
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    await seedFakePostgres(db.url, RECORDS);
    nodes = await Promise.all([startNode(db.url, tmp.dir, LIMITS), startNode(db.url, tmp.dir, LIMITS)]);
  });
  afterAll(async () => {
    for (const node of nodes) await stopServer(node);
    await db.drop();
  });
  const node = (i: number) => nodes[i % nodes.length] as ServerProcess;

  /** Posts every request at once, the i-th to node i mod 2. */
  const spread = async (requests: SignedRequest[]) =>
    (await Promise.all(requests.map((r, i) => post(node(i).url, '/sms', r)))).map(complete);

  it('50 concurrent lookups from one number, spread over both nodes, give exactly 10 served', async () => {
    const p = person(0);
    const requests = Array.from({ length: 50 }, () => signedSms(p.phone, `TT ${p.id}`));
    const answers = await spread(requests);
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(answers.filter((a) => a.body.includes(p.name))).toHaveLength(10);
    for (const a of answers.filter((x) => !x.body.includes(p.name))) expect(a.body).toMatch(/thu lai sau \d\d:\d\d/);
    expect(
      outcomes(
        await auditOf(
          db,
          requests.map((r) => r.sid),
        ),
      ),
    ).toEqual({ served: 10, rate_limited: 40 });
  });

  it('12 concurrent failed verifications from one number, spread over both nodes, count exactly 5, then lock it on both', async () => {
    const p = person(1);
    const someoneElse = person(2);
    const requests = Array.from({ length: 12 }, () => signedSms(p.phone, `TT ${someoneElse.id}`));
    const answers = await spread(requests);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(
      outcomes(
        await auditOf(
          db,
          requests.map((r) => r.sid),
        ),
      ),
    ).toEqual({ refused: 5, locked: 7 });
    // Now locked everywhere, even for the sender's own record.
    for (const i of [0, 1]) {
      const own = complete(await post(node(i).url, '/sms', signedSms(p.phone, `TT ${p.id}`)));
      expect(own.body).toMatch(/khoa den \d\d:\d\d/);
      expect(own.body).not.toContain(p.name);
    }
  });

  it('an opt-out on one node holds on the other, and so does opting back in', async () => {
    const p = person(3);
    const ask = async (i: number, text: string) => complete(await post(node(i).url, '/sms', signedSms(p.phone, text))).body;
    expect(await ask(0, 'STOP')).toBe(TWIML_EMPTY);
    expect(await ask(1, `TT ${p.id}`)).toBe(TWIML_EMPTY);
    expect(await ask(1, 'HD')).toBe(TWIML_EMPTY);
    expect(await ask(1, 'START')).toMatch(/nhan lai tin tra loi/);
    expect(await ask(0, `TT ${p.id}`)).toContain(p.name);
  });

  it('one MessageSid delivered to both nodes at once: one audit row, and byte-identical replies', async () => {
    const people = Array.from({ length: 10 }, (_, i) => person(10 + i));
    const requests = people.map((p) => signedSms(p.phone, `TT ${p.id}`));
    const pairs = await Promise.all(requests.map((r) => Promise.all([post(node(0).url, '/sms', r), post(node(1).url, '/sms', r)])));
    pairs.forEach(([first, second], i) => {
      const a = complete(first);
      const b = complete(second);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body).toMatch(TWIML_MESSAGE);
      expect(a.body).toContain(people[i]?.name);
      expect(b.body).toBe(a.body);
    });
    const rows = await auditOf(
      db,
      requests.map((r) => r.sid),
    );
    expect(rows.map((r) => r.message_sid).sort()).toEqual(requests.map((r) => r.sid).sort());
    expect(outcomes(rows)).toEqual({ served: 10 });
  });

  it('LS on one node shows the accesses made through the other', async () => {
    const owner = person(4);
    const stranger = person(5);
    const ask = async (i: number, from: FakePerson, text: string) =>
      complete(await post(node(i).url, '/sms', signedSms(from.phone, text))).body;
    expect(await ask(0, owner, `TT ${owner.id}`)).toContain(owner.name);
    expect(await ask(0, stranger, `TT ${owner.id}`)).not.toContain(owner.name);
    expect(await ask(1, owner, `CC ${owner.id}`)).toMatch(/The can cuoc/);
    const history = await ask(1, owner, `LS ${owner.id}`);
    const entries = history.split('\n').filter((l) => /^\d\d\/\d\d \d\d:\d\d /.test(l));
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatch(/ CC da tra loi ban$/);
    expect(entries[1]).toContain(` TT tu choi ${masked(stranger.phone)}`);
    expect(entries[2]).toMatch(/ TT da tra loi ban$/);
    expect(history).toMatch(/Tong 30 ngay: 3/);
    expect(history).not.toContain(stranger.phone);
    // And the other way round: the first node lists the LS made through the second.
    expect(await ask(0, owner, `LS ${owner.id}`)).toMatch(/\d\d:\d\d LS da tra loi ban\n/);
  });
});

describe('one of two nodes killed with SIGKILL under load', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    await seedFakePostgres(db.url, RECORDS);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('loses no audited reply: every reply that carried data has its served row; and the other node keeps serving', async () => {
    const [a, b] = await Promise.all([startNode(db.url, tmp.dir, LIMITS), startNode(db.url, tmp.dir, LIMITS)]);
    try {
      /** Data replies the clients received, by MessageSid. */
      const served = new Map<string, FakePerson>();
      const sent = new Set<string>();
      const failures: string[] = [];
      let next = 0;
      let answers = 0;
      let killed = false;
      const servedByB = { before: 0, after: 0 };
      let retriedOnB = 0;
      // 16 clients, alternating between the nodes; each sender asks a few times at most (below the
      // hourly limit). A request A did not answer (refused, or cut when A died with it in flight)
      // goes to B with the same MessageSid, as Twilio's retry through the proxy would.
      const client = async (c: number) => {
        for (let n = 0; n < 400 && servedByB.after < 200; n++) {
          const p = person(next++ % RECORDS);
          const request = signedSms(p.phone, `TT ${p.id}`);
          sent.add(request.sid);
          let target = (c + n) % 2 === 0 ? a : b;
          let answer = await post(target.url, '/sms', request);
          if (answer.kind !== 'complete' && target === a && killed) {
            target = b;
            retriedOnB++;
            answer = await post(b.url, '/sms', request);
          }
          const name = target === a ? 'A' : 'B';
          if (answer.kind !== 'complete') {
            failures.push(`${name}: ${JSON.stringify(answer)}`);
            continue;
          }
          answers++;
          if (answer.status !== 200 || !answer.body.includes(p.name)) {
            failures.push(`${name}: ${answer.status} ${answer.body}`);
            continue;
          }
          expect(answer.body).toMatch(TWIML_MESSAGE);
          served.set(request.sid, p);
          if (target === b) servedByB[killed ? 'after' : 'before']++;
          // Killed the moment it has sent a reply with data, with other requests in flight on it.
          if (answers >= 300 && !killed && target === a) {
            killed = true;
            a.proc.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
      expect((await exitWithin(a.exited, 10_000)).signal).toBe('SIGKILL');
      // B answered every request sent to it, before the kill, while A died and afterwards.
      expect(failures).toEqual([]);
      expect(servedByB.before).toBeGreaterThan(0);
      expect(servedByB.after).toBeGreaterThanOrEqual(200);
      expect(retriedOnB).toBeGreaterThan(0);
      expect(b.hasExited()).toBe(false);

      // Every data reply received has its committed audit row, of that sender and record.
      const rows = new Map((await auditOf(db, [...sent])).map((r) => [r.message_sid, r]));
      const missing = [...served].filter(([sid, p]) => {
        const r = rows.get(sid);
        return !(r?.outcome === 'served' && r.sender === p.phone && r.target_id === p.id);
      });
      expect(missing.map(([sid]) => sid)).toEqual([]);
      // And the other way round: since every request A left unanswered was retried on B, which
      // answers a message already recorded with its recorded reply, each served row reached a client.
      const all = await db.sql<{ message_sid: string; outcome: string }>(`SELECT message_sid, outcome FROM audit_log`);
      expect(all.filter((r) => !sent.has(r.message_sid))).toEqual([]);
      expect(all.filter((r) => r.outcome === 'served' && !served.has(r.message_sid))).toEqual([]);
      expect(all).toHaveLength(served.size);

      // After the load, B still serves and records.
      expect((await get(b.url, '/readyz')).status).toBe(200);
      const p = person(RECORDS - 1);
      const after = signedSms(p.phone, `CC ${p.id}`);
      const answer = complete(await post(b.url, '/sms', after));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatch(/The can cuoc/);
      expect(outcomes(await auditOf(db, [after.sid]))).toEqual({ served: 1 });
    } finally {
      await stopServer(b);
      if (!a.hasExited()) await stopServer(a);
    }
  });
});

describe('nodes starting at once on an empty database', () => {
  it('one applies the migrations, the others wait for it, and all come up ready', async () => {
    const db = await createTestDatabase();
    const nodes: ServerProcess[] = [];
    // Another session is creating the migrations table: every node's migration waits behind it,
    // then all go at once when it rolls back. Without the migration lock they would race there.
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
      const starting = Promise.allSettled([1, 2, 3].map(() => startNode(db.url, tmp.dir)));
      await untilSessionsWaitForLocks(db.url, 3);
      await holder.query('ROLLBACK');
      const started = await starting;
      for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'listening'))).toEqual(Array(3).fill('listening'));
      for (const n of nodes) expect(await get(n.url, '/readyz')).toEqual({ status: 200, body: 'ready' });
      // Each migration applied once, not once per node.
      const applied = await db.sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.flatMap((m, i) => (m === null ? [] : [i + 1])));
    } finally {
      await holder.end();
      for (const n of nodes) await stopServer(n);
      await db.drop();
    }
  });
});
