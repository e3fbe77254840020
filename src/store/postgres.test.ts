// What only the PostgreSQL store does: migrations that several nodes start at once, the triggers
// that keep the audit log append-only, refusing a newer schema, timeouts, losing the server and
// getting it back, seeding with COPY beside the webhook's transactions, and never showing the
// password. What every store does is in contract.test.ts.
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry } from '../testing/audit.js';
import { auditEntry, citizen } from '../testing/citizens.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../testing/embeddedPostgres.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../testing/postgres.js';
import type { Citizen } from '../citizens/types.js';
import { openPostgresStore, type PostgresStore } from './postgres.js';
import { gapRead } from './chainRows.js';
import { LOAD_TABLE } from './postgresFirstLoad.js';
import { MIGRATIONS, SCHEMA_VERSION } from './postgresMigrations.js';
import { verifyAudit } from '../auditVerify.js';
import { StoreOpenError, StoreUnavailableError, StoreUnsupportedError, type Admission, type Decide, type Store } from './types.js';

const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);
const PHONE = '+84912345678';
let sid = 0;
const admission = (over: Partial<Admission> = {}): Admission => ({
  at: T0,
  messageSid: `SM${String(++sid).padStart(32, '0')}`,
  sender: PHONE,
  tracked: true,
  targetId: '001099054321',
  ...over,
});
const served: Decide = ({ citizen: c }) => ({
  command: 'TT',
  outcome: c ? 'served' : 'refused',
  segments: 1,
  twiml: c ? `<Response><Message>${c.fullName}</Message></Response>` : '<Response/>',
  sender: {
    state: { lookups: [T0], failures: [], replies: [T0], lockedUntil: null, optedOut: false, lang: 'vi' },
    expiresAt: T0 + 3_600_000,
  },
});

/** Settles with how long `promise` took, in ms, and what it gave. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [result] = await Promise.allSettled([promise]);
  return { ms: performance.now() - start, result };
}

/** The Error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected a rejection with an Error');
}

function rejection(result: PromiseSettledResult<unknown>): unknown {
  if (result.status === 'fulfilled') throw new Error('expected a rejection');
  return result.reason;
}

let db: TestDatabase;
const opened: Store[] = [];
async function open(url = db.url, options = {}): Promise<PostgresStore> {
  const store = await openPostgresStore(url, options);
  opened.push(store);
  return store;
}
async function seed(store: Store, citizens: Citizen[]): Promise<void> {
  const s = await store.beginSeed({ atomic: true });
  await s.write(citizens);
  await s.commit();
}

/** The collation of `citizens.id_number` (`default`: the database's locale). */
async function keyCollation(): Promise<string | undefined> {
  const rows = await db.sql<{ collname: string }>(
    `SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
     WHERE a.attrelid = 'citizens'::regclass AND a.attname = 'id_number'`,
  );
  return rows[0]?.collname;
}

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await db.drop();
});

describe('migrations', () => {
  it('applies the schema once when several nodes open an empty database at the same moment', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => open()));
    for (const s of stores) expect(await s.migrationsCurrent()).toBe(true);
    const rows = await db.sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const used = MIGRATIONS.flatMap((m, i) => (m === null ? [] : [i + 1]));
    expect(rows.map((r) => r.version)).toEqual(used);
    expect(used.at(-1)).toBe(SCHEMA_VERSION);
    expect(await stores[0]?.checkIntegrity()).toEqual([]);
  });

  it('upgrades a database of schema 7 with records: the key compares byte by byte, the records stay', async () => {
    await db.sql('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    for (const [i, migration] of MIGRATIONS.slice(0, 7).entries()) {
      if (migration === null) continue;
      await db.sql(migration);
      await db.sql(`INSERT INTO schema_migrations (version, applied_at) VALUES (${i + 1}, 0)`);
    }
    await db.sql(
      `INSERT INTO citizens (id_number, full_name, date_of_birth, sex, phone) VALUES ('001099054321', 'Nguyễn Văn Thử', '1999-05-14', 'M', '+84912345678')`,
    );
    expect(await keyCollation()).toBe('default');
    const store = await open();
    expect(await store.migrationsCurrent()).toBe(true);
    expect(await keyCollation()).toBe('C');
    expect((await store.findCitizen('001099054321'))?.fullName).toBe('Nguyễn Văn Thử');
    expect(await store.checkIntegrity()).toEqual([]);
  });

  it('refuses, in one line, a database whose schema is newer than the program', async () => {
    await (await open()).close();
    await db.sql(`INSERT INTO schema_migrations (version, applied_at) VALUES (${SCHEMA_VERSION + 1}, 0)`);
    const attempt = openPostgresStore(db.url);
    await expect(attempt).rejects.toThrow(StoreOpenError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`^database schema version ${SCHEMA_VERSION + 1} is newer than this program's ${SCHEMA_VERSION}: upgrade the program$`),
    );
  });

  it('refuses a database whose commits are not durable (synchronous_commit = off)', async () => {
    await db.sql(`ALTER DATABASE ${db.name} SET synchronous_commit = off`);
    await expect(openPostgresStore(db.url)).rejects.toThrow(/^PostgreSQL [^\n]+ has synchronous_commit = off: [^\n]+$/);
    await db.sql(`ALTER DATABASE ${db.name} SET synchronous_commit = on`);
    await (await open()).ping();
  });

  it('reports a missing trigger and a stale schema in its integrity check', async () => {
    const store = await open();
    await db.sql('DROP TRIGGER audit_log_no_delete ON audit_log');
    await db.sql('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    expect(await store.checkIntegrity()).toEqual(['trigger audit_log_no_update disabled', 'trigger audit_log_no_delete missing']);
    await db.sql(`DELETE FROM schema_migrations`);
    expect(await store.migrationsCurrent()).toBe(false);
  });
});

describe('the append-only audit log', () => {
  it('refuses UPDATE, DELETE and TRUNCATE from any session, before and after a retention run', async () => {
    const store = await open();
    await recordEntry(store, auditEntry({ at: T0 - 400 * 86_400_000, messageSid: 'SMold' }));
    await recordEntry(store, auditEntry({ at: T0, messageSid: 'SMnew' }));
    const refused = async () => {
      await expect(db.sql(`UPDATE audit_log SET outcome = 'refused'`)).rejects.toThrow(/append-only/);
      await expect(db.sql(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      await expect(db.sql(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    };
    await refused();
    expect(await store.pruneAudit(T0 - 365 * 86_400_000)).toMatchObject({ removed: 1 });
    await refused();
    // The retention setting lives only as long as its transaction, even in the same session.
    const session = new pg.Client({ connectionString: db.url });
    await session.connect();
    try {
      await session.query(`BEGIN; SET LOCAL app.prune_audit = 'on'; COMMIT`);
      await expect(session.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    } finally {
      await session.end();
    }
    expect((await store.readAudit(0, 10)).map((e) => e.messageSid)).toEqual(['SMnew']);
  });
});

describe('the audit chain across transactions and nodes', () => {
  it('seals a row that commits after a higher id was sealed, at a later seal, and verifies intact', async () => {
    const store = await open();
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      // A transaction takes id 1 and stays open while another admission (id 2) commits and is sealed.
      await slow.query('BEGIN');
      const held = await slow.query<{ id: string }>(
        `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
         VALUES ($1, 'SMslow', $2, 'TT', '001099054321', 'served', 1) RETURNING id`,
        [T0, PHONE],
      );
      expect(Number(held.rows[0]?.id)).toBe(1);
      await recordEntry(store, auditEntry({ at: T0 + 100, messageSid: 'SMfast' }));
      expect(await store.sealAudit(T0 + 1_000)).toMatchObject({ sealed: 1, head: { seq: 1 } });
      await slow.query('COMMIT');
      // Two nodes' sealers after the late commit: the row is sealed once, by one of them.
      const other = await open();
      const runs = await Promise.all([store.sealAudit(T0 + 2_000), other.sealAudit(T0 + 2_000)]);
      expect(runs.map((r) => r.sealed).sort()).toEqual([0, 1]);
      const seals = await store.readSeals(0, 10);
      expect(seals.map((e) => [e.seal.seq, e.seal.rowId])).toEqual([
        [1, 2],
        [2, 1],
      ]);
      expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 2, rows: 2, pending: 0 });
    } finally {
      await slow.end();
    }
  });

  it.each(['audit_log', 'delivery_events'] as const)(
    'reads the gaps of %s by ranges of the primary key, one per gap, and probes the seals per row, with or without statistics',
    async (table) => {
      await (await open()).close(); // the schema
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(
          table === 'audit_log'
            ? `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
               SELECT $1::bigint, 'SM' || i, '${PHONE}', 'TT', NULL, 'served', 1 FROM generate_series(1, 20000) i`
            : `INSERT INTO delivery_events (at, ref, message_sid, status, error_code)
               SELECT $1::bigint, 'SM' || i, 'SM' || i, 'delivered', NULL FROM generate_series(1, 20000) i`,
          [T0],
        );
        // Every row sealed but one in 20, and those the gaps: as after rows committed late.
        await client.query(
          `INSERT INTO audit_seals (seq, kind, row_id, row_hash, sealed_at, head)
           SELECT row_number() OVER (ORDER BY i), $1, i, 'x', $2, 'x' FROM generate_series(1, 20000) i WHERE i % 20 <> 0`,
          [table === 'audit_log' ? 'audit' : 'delivery', T0],
        );
        const gaps = JSON.stringify(Array.from({ length: 600 }, (_, i) => [8020 + 20 * i, 8020 + 20 * i]));
        await client.query(`PREPARE gaps(text, bigint, integer) AS ${gapRead(table, 'postgres').replace('$1::jsonb', '$1::text::jsonb')}`);
        // First with no statistics (as between autovacuum's runs after a burst of rows), then analyzed.
        for (const stats of ['none', 'analyzed']) {
          if (stats === 'analyzed') await client.query('ANALYZE');
          for (const mode of ['force_custom_plan', 'force_generic_plan']) {
            const when = `${stats}, ${mode}`;
            await client.query(`SET plan_cache_mode = ${mode}`);
            const plan = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE gaps('${gaps}', 0, 2000)`);
            const nodes: { type: string; relation: unknown; index: unknown; cond: string }[] = [];
            const walk = (node: Record<string, unknown>) => {
              nodes.push({
                type: String(node['Node Type']),
                relation: node['Relation Name'],
                index: node['Index Name'],
                cond: String(node['Index Cond']),
              });
              for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
            };
            walk((plan.rows[0]?.['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]?.Plan ?? {});
            expect(
              nodes.filter((n) => n.relation === table).map((n) => n.type),
              when,
            ).toHaveLength(1);
            expect(
              nodes.filter((n) => n.relation === table && n.type === 'Seq Scan'),
              when,
            ).toEqual([]);
            // One range of the primary key per gap (an index scan, or a bitmap of one).
            const ranges = nodes.filter((n) => n.type.includes('Index Scan') && n.index === `${table}_pkey`);
            expect(ranges, when).toHaveLength(1);
            expect(ranges[0]?.cond, when).toMatch(/g\.value ->> 0.*g\.value ->> 1/);
            // The seal check probes the seals' index for each row read: not a hash or a merge over
            // every seal of the kind, done again for each gap where a row is found.
            const seals = nodes.filter((n) => n.relation === 'audit_seals');
            expect(
              seals.map((n) => n.type),
              when,
            ).toEqual(['Index Only Scan']);
            expect(seals[0]?.cond, when).toMatch(/row_id = a\.id/);
            expect(
              nodes.filter((n) => /Hash|Merge/.test(n.type)),
              when,
            ).toEqual([]);
          }
        }
      } finally {
        await client.end();
      }
    },
  );

  it('seals a delivery event that commits after a higher id was sealed, at a later seal, and verifies intact', async () => {
    const store = await open();
    await recordEntry(store, auditEntry({ at: T0, messageSid: 'SMin' }));
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      // A callback's transaction takes event id 1 and stays open while another (id 2) commits and is sealed.
      await slow.query('BEGIN');
      const held = await slow.query<{ id: string }>(
        `INSERT INTO delivery_events (at, ref, message_sid, status, error_code) VALUES ($1, 'SMin', 'SMout', 'sent', NULL) RETURNING id`,
        [T0 + 100],
      );
      expect(Number(held.rows[0]?.id)).toBe(1);
      await store.recordDelivery({ at: T0 + 200, ref: 'SMin', messageSid: 'SMout', status: 'delivered', errorCode: null });
      expect(await store.sealAudit(T0 + 1_000)).toMatchObject({ sealed: 2, head: { seq: 2 } });
      await slow.query('COMMIT');
      const other = await open();
      const runs = await Promise.all([store.sealAudit(T0 + 2_000), other.sealAudit(T0 + 2_000)]);
      expect(runs.map((r) => r.sealed).sort()).toEqual([0, 1]);
      const seals = await store.readSeals(0, 10);
      expect(seals.map((e) => [e.seal.seq, e.seal.kind, e.seal.rowId])).toEqual([
        [1, 'audit', 1],
        [2, 'delivery', 2],
        [3, 'delivery', 1],
      ]);
      expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 3, rows: 1, deliveries: 2, pending: 0 });
    } finally {
      await slow.end();
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the seals and checkpoints', async () => {
    const store = await open();
    await recordEntry(store, auditEntry({ at: T0 - 400 * 86_400_000, messageSid: 'SMold' }));
    await recordEntry(store, auditEntry({ at: T0, messageSid: 'SMnew' }));
    await store.pruneAudit(T0 - 365 * 86_400_000, T0);
    for (const table of ['audit_seals', 'audit_checkpoints']) {
      const column = table === 'audit_seals' ? 'row_hash' : 'cut_head';
      await expect(db.sql(`UPDATE ${table} SET ${column} = ${column}`)).rejects.toThrow(/append-only/);
      await expect(db.sql(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(db.sql(`TRUNCATE ${table}`)).rejects.toThrow(/append-only/);
    }
    expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 3, rows: 1, pruned: 1 });
  });
});

/**
 * A TCP proxy in front of the server that counts round trips: each time the client sends after the
 * server has answered, a new one starts. What the client sends is held for 10 ms before it is
 * passed on, so that the statements of one pipelined flight (written in one turn of the client's
 * event loop, as separate writes) all arrive before the server can answer the first of them.
 */
async function roundTripCounter(target: string): Promise<{ url: string; turns: () => number; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  let turns = 0;
  let serverSpoke = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let held: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      if (serverSpoke) turns++;
      serverSpoke = false;
      if (held.push(chunk) > 1) return;
      setTimeout(() => {
        upstream.write(Buffer.concat(held));
        held = [];
      }, 10);
    });
    upstream.on('data', (chunk: Buffer) => {
      serverSpoke = true;
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(target);
  url.host = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return {
    url: url.toString(),
    turns: () => turns,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('round trips', () => {
  it('admits a message in two round trips (three for a redelivery), on a connection that is warm', async () => {
    await (await open()).close(); // migrated without the proxy
    const proxy = await roundTripCounter(db.url);
    try {
      const store = await open(proxy.url, { poolSize: 1 });
      await seed(store, [citizen()]);
      const count = async (work: () => Promise<unknown>) => {
        const before = proxy.turns();
        await work();
        return proxy.turns() - before;
      };
      await store.admit(admission(), served); // opens the connection and prepares the statements
      await store.admit(admission({ history: { limit: 5, since: 0 } }), served);
      expect(await count(() => store.admit(admission(), served))).toBe(2);
      expect(await count(() => store.admit(admission({ history: { limit: 5, since: 0 } }), served))).toBe(2);
      expect(await count(() => store.admit(admission({ sender: 'client:x', tracked: false }), served))).toBe(2);
      const again = admission();
      await store.admit(again, served);
      expect(await count(() => store.admit(again, served))).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});

describe('timeouts', () => {
  it('gives up on a sender row held by a stuck session within the statement timeout', async () => {
    const store = await open(db.url, { statementTimeoutMs: 300 });
    await store.admit(admission(), served);
    // Another session holds the sender's row and does nothing more.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM senders WHERE sender = $1 FOR UPDATE', [PHONE]);
      const { ms, result } = await timed(store.admit(admission(), served));
      expect(rejection(result)).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(2_000);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    await expect(store.admit(admission(), served)).resolves.toMatchObject({ duplicate: false });
  });
});

describe('a statement timeout set on the role or the database (as behind PgBouncer)', () => {
  it("does not apply to the tools' long operations, whose connections ask for none", async () => {
    // The role's default in this database, far below what a seed or a count may take.
    await db.sql(`ALTER ROLE CURRENT_USER IN DATABASE ${db.name} SET statement_timeout = '100ms'`);
    const store = await open();
    const tool = await store.maintenanceClient();
    try {
      expect((await tool.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]?.statement_timeout).toBe('0');
      await expect(tool.query('SELECT pg_sleep(0.3)')).resolves.toBeDefined();
    } finally {
      await tool.end();
    }
  });
});

describe('connections lost', () => {
  it('answers again on the same store after every session was terminated (a failover or restart)', async () => {
    const store = await open();
    await seed(store, [citizen()]);
    await Promise.all(Array.from({ length: 5 }, () => store.admit(admission(), served)));
    expect(await db.terminateSessions()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await Promise.all(Array.from({ length: 5 }, () => store.admit(admission(), served)));
    expect(after.every((r) => !r.duplicate && r.verdict.outcome === 'served')).toBe(true);
    expect((await store.counts()).auditLog).toBe(10);
  });

  it('refuses admissions as unavailable while the database takes no writes (a standby not yet promoted), then admits again', async () => {
    const store = await open();
    await seed(store, [citizen()]);
    await db.sql(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`);
    await db.terminateSessions();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const readOnly = await failure(store.admit(admission(), served));
    expect(readOnly).toBeInstanceOf(StoreUnavailableError);
    expect(readOnly.message).toMatch(/read-only transaction/);
    expect(await store.acceptsWrites()).toBe(false);
    await store.ping();
    // Promoted: writable again. The pool's connections opened meanwhile are dropped by the
    // failover (terminated here) and new ones take writes, with no restart.
    await db.sql(`BEGIN READ WRITE; ALTER DATABASE ${db.name} RESET default_transaction_read_only; COMMIT`);
    await db.terminateSessions();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(store.admit(admission(), served)).resolves.toMatchObject({ duplicate: false });
    expect(await store.acceptsWrites()).toBe(true);
    expect((await store.counts()).auditLog).toBe(1);
  });

  describe('the server going away and coming back', () => {
    let server: EmbeddedServer;
    beforeAll(async () => {
      server = await startEmbeddedPostgres();
    });
    afterAll(async () => {
      await server.destroy();
    });

    it('rejects at once with StoreUnavailableError while it is down, and the same store works when it is back', async () => {
      const own = await createTestDatabase(server.url);
      const password = new URL(server.url).password;
      try {
        const store = await open(own.url);
        await seed(store, [citizen()]);
        await store.admit(admission(), served);
        await server.stop();
        const calls: (() => Promise<unknown>)[] = [
          () => store.ping(),
          () => store.admit(admission(), served),
          () => store.migrationsCurrent(),
          () => store.findCitizen('001099054321'),
        ];
        for (const call of calls) {
          const { ms, result } = await timed(call());
          const err = rejection(result);
          expect(err).toBeInstanceOf(StoreUnavailableError);
          expect((err as Error).message).not.toContain(password);
          expect(ms).toBeLessThan(3_000);
        }
        await server.start();
        await store.ping();
        const again = await store.admit(admission(), served);
        expect(again).toMatchObject({ duplicate: false, verdict: { outcome: 'served' } });
        expect((await store.counts()).auditLog).toBe(2);
      } finally {
        await own.drop();
      }
    });

    it('cannot open while the server is down: one line, no password', async () => {
      await server.stop();
      try {
        const attempt = openPostgresStore(databaseUrl(server.url, 'postgres'));
        await expect(attempt).rejects.toThrow(StoreOpenError);
        const { message } = await failure(attempt);
        expect(message).toMatch(/^cannot open the database PostgreSQL 127\.0\.0\.1:\d+\/postgres: [^\n]*ECONNREFUSED[^\n]*$/);
        expect(message).not.toContain(new URL(server.url).password);
      } finally {
        await server.start();
      }
    });
  });
});

describe('seeding with COPY', () => {
  const people = (n: number, offset = 0): Citizen[] =>
    Array.from({ length: n }, (_, i) => citizen({ idNumber: `0010990${String(offset + i).padStart(5, '0')}`, fullName: `Người Thử ${i}` }));

  it('lets a message be admitted, reading the committed record, while a strict seed’s transaction is open', async () => {
    const store = await open();
    await seed(store, [citizen()]);
    const s = await store.beginSeed({ atomic: true });
    await s.write([citizen({ fullName: 'Tên Mới' }), ...people(2000)]);
    const { ms, result } = await timed(store.admit(admission(), served));
    expect(result).toMatchObject({
      status: 'fulfilled',
      value: { verdict: { twiml: '<Response><Message>Nguyễn Văn Thử</Message></Response>' } },
    });
    expect(ms).toBeLessThan(1_000);
    expect(await s.commit()).toEqual({ inserted: 2000, updated: 1 });
    expect((await store.findCitizen('001099054321'))?.fullName).toBe('Tên Mới');
  });

  it('strict into an empty table (COPY straight into citizens): admits meanwhile, a second seed waits, counts stay exact', async () => {
    const store = await open();
    const first = await store.beginSeed({ atomic: true });
    await first.write([citizen(), ...people(1000)]);
    const { ms, result } = await timed(store.admit(admission(), served));
    expect(result).toMatchObject({ status: 'fulfilled', value: { verdict: { outcome: 'refused' } } }); // not committed yet
    expect(ms).toBeLessThan(1_000);
    let secondStarted = false;
    const second = store.beginSeed({ atomic: true }).then((session) => {
      secondStarted = true;
      return session;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondStarted).toBe(false); // waits for the first run's table lock
    expect(await first.commit()).toEqual({ inserted: 1001, updated: 0 });
    const next = await second;
    await next.write([citizen({ fullName: 'Tên Mới' }), ...people(10, 5000)]);
    expect(await next.commit()).toEqual({ inserted: 10, updated: 1 });
    expect((await store.counts()).citizens).toBe(1011);
  });

  it('strict into an empty table: a rejected batch mid-way leaves nothing written', async () => {
    const store = await open();
    const s = await store.beginSeed({ atomic: true });
    await s.write(people(500));
    // The run's one COPY streams: the failure is thrown by a later write or, at the latest, by commit.
    const finish = async () => {
      await s.write([citizen({ idNumber: '079300000001', sex: 'X' as Citizen['sex'] })]);
      await s.write(people(10, 9000));
      return s.commit();
    };
    await expect(finish()).rejects.toThrow(/check constraint/);
    await s.rollback();
    expect((await store.counts()).citizens).toBe(0);
  });

  it("strict: a rollback while the run's COPY is open cancels it, leaves nothing, and the next run works", async () => {
    const store = await open();
    const s = await store.beginSeed({ atomic: true });
    await s.write(people(500));
    await s.rollback();
    expect((await store.counts()).citizens).toBe(0);
    await seed(store, people(20));
    expect((await store.counts()).citizens).toBe(20);
  });

  it('strict: a failure in the middle leaves nothing written', async () => {
    const store = await open();
    await seed(store, [citizen()]);
    const s = await store.beginSeed({ atomic: true });
    await s.write(people(500));
    await s.write([citizen({ idNumber: '079300000001', sex: 'X' as Citizen['sex'] })]);
    await s.write(people(500, 500));
    await expect(s.commit()).rejects.toThrow(/check constraint/);
    expect((await store.counts()).citizens).toBe(1);
  });

  it('strict: a seed whose connection dies mid-way leaves nothing, and says the database is unavailable', async () => {
    const store = await open();
    const s = await store.beginSeed({ atomic: true });
    await s.write(people(500));
    await db.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%'`);
    await db.terminateSessions();
    await expect(s.write(people(500, 500))).rejects.toThrow(StoreUnavailableError);
    await s.rollback();
    expect((await store.counts()).citizens).toBe(0);
  });

  it('per batch: the batches committed before a failure stay, with exact counts', async () => {
    const store = await open();
    await seed(store, people(10));
    const s = await store.beginSeed({ atomic: false });
    await s.write(people(20)); // 10 updated (same values: not rewritten), 10 new
    await expect(s.write([citizen({ idNumber: '079300000001', sex: 'X' as Citizen['sex'] })])).rejects.toThrow(/check constraint/);
    await s.write(people(5, 100));
    expect(await s.commit()).toEqual({ inserted: 15, updated: 10 });
    expect((await store.counts()).citizens).toBe(25);
  });

  it('COPYs text with tabs, newlines, backslashes and a literal \\N as it is, in both modes', async () => {
    const store = await open();
    // Multi-byte UTF-8 (Vietnamese, a character outside the BMP) and a value longer than a batch's first buffer.
    const odd = `Tab\there, back\\slash, new\nline, CR\r, \\N, Nguyễn 𝔸 ${'Đường '.repeat(60)}`;
    for (const atomic of [true, false]) {
      const s = await store.beginSeed({ atomic });
      await s.write([
        citizen({ idNumber: atomic ? '001099000001' : '001099000002', fullName: odd, permanentAddress: '\\N', religion: null }),
      ]);
      await s.commit();
    }
    for (const id of ['001099000001', '001099000002']) {
      expect(await store.findCitizen(id)).toMatchObject({ fullName: odd, permanentAddress: '\\N', religion: null });
    }
  });
});

describe('the first load into an empty table (index built at the end, table swapped in)', () => {
  const people = (n: number): Citizen[] =>
    Array.from({ length: n }, (_, i) => citizen({ idNumber: `0010990${String(i).padStart(5, '0')}`, fullName: `Người Thử ${i}` }));
  const tableOid = async () => (await db.sql<{ oid: number }>(`SELECT 'citizens'::regclass::oid AS oid`))[0]?.oid;
  const loadTableLeft = async () => (await db.sql<{ t: string | null }>(`SELECT to_regclass('${LOAD_TABLE}')::text AS t`))[0]?.t;

  it('swaps the loaded table in with the same constraints and grants, and nodes that had read the empty one find the rows', async () => {
    const store = await open();
    const node = await open(); // another node, whose connections read the empty table before the load
    expect(await node.findCitizen('001099000007')).toBeUndefined();
    const before = await tableOid();
    const reader = `reader_${db.name}`;
    await db.sql(`CREATE ROLE ${reader}`);
    try {
      await db.sql(`GRANT SELECT ON citizens TO ${reader}`);
      await seed(store, people(3000));
      expect(await tableOid()).not.toBe(before);
      expect(await loadTableLeft()).toBeNull();
      expect((await node.findCitizen('001099000007'))?.fullName).toBe('Người Thử 7');
      const [grant] = await db.sql<{ ok: boolean }>(`SELECT has_table_privilege('${reader}', 'citizens', 'SELECT') AS ok`);
      expect(grant?.ok).toBe(true);
      const constraints = await db.sql<{ conname: string; contype: string }>(
        `SELECT conname, contype FROM pg_constraint WHERE conrelid = 'citizens'::regclass AND contype IN ('p', 'c') ORDER BY conname`,
      );
      expect(constraints).toEqual([
        { conname: 'citizens_pkey', contype: 'p' },
        { conname: 'citizens_sex_check', contype: 'c' },
      ]);
      expect(await keyCollation()).toBe('C');
      await expect(
        db.sql(`INSERT INTO citizens (id_number, full_name, date_of_birth, sex, phone) VALUES ('001099000007', 'x', 'x', 'M', 'x')`),
      ).rejects.toThrow(/citizens_pkey/);
      await expect(
        db.sql(`INSERT INTO citizens (id_number, full_name, date_of_birth, sex, phone) VALUES ('1', 'x', 'x', 'X', 'x')`),
      ).rejects.toThrow(/citizens_sex_check/);
      await expect(db.sql(`INSERT INTO citizens (id_number, full_name, date_of_birth, sex) VALUES ('2', 'x', 'x', 'M')`)).rejects.toThrow(
        /not-null/,
      );
      expect(await store.checkIntegrity()).toEqual([]);
      expect((await store.counts()).citizens).toBe(3000);
    } finally {
      await db.sql(`REVOKE ALL ON citizens FROM ${reader}`);
      await db.sql(`DROP ROLE ${reader}`);
    }
  });

  it('keeps a citizens table that has more than the migrations made (an index of its own), and COPYs into it', async () => {
    const store = await open();
    await db.sql('CREATE INDEX citizens_phone ON citizens (phone)');
    const before = await tableOid();
    await seed(store, people(100));
    expect(await tableOid()).toBe(before);
    expect(await db.sql(`SELECT 1 FROM pg_indexes WHERE indexname = 'citizens_phone'`)).toHaveLength(1);
    expect((await store.counts()).citizens).toBe(100);
  });

  it('moves the rows in instead when a reader holds citizens longer than the swap waits', async () => {
    const store = await open();
    const before = await tableOid();
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM citizens');
      const { ms, result } = await timed(seed(store, people(500)));
      expect(result.status).toBe('fulfilled');
      expect(ms).toBeLessThan(5_000);
      expect(await tableOid()).toBe(before);
      expect(await loadTableLeft()).toBeNull();
      // The reader's next statement (READ COMMITTED) sees the rows, in the same table.
      expect((await reader.query<{ n: string }>('SELECT count(*) AS n FROM citizens')).rows[0]?.n).toBe('500');
    } finally {
      await reader.query('COMMIT');
      await reader.end();
    }
    expect((await store.counts()).citizens).toBe(500);
    expect(await store.findCitizen('001099000499')).toMatchObject({ fullName: 'Người Thử 499' });
  });

  it('a per-batch seed that waits for the first load does not hold up its swap, nor deadlock with it: both finish', async () => {
    const store = await open();
    const before = await tableOid();
    const first = await store.beginSeed({ atomic: true });
    await first.write(people(1000));
    const other = await store.beginSeed({ atomic: false });
    const otherWrite = other.write([citizen({ idNumber: '079300000001' })]); // waits for the first load's lock
    // Long enough that its deadlock check (deadlock_timeout, 1 s, after it began to wait) would fall
    // while a swap waited for it.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await first.commit()).toEqual({ inserted: 1000, updated: 0 });
    expect(await tableOid()).not.toBe(before); // swapped, not moved: the waiting run held no lock on citizens
    await otherWrite;
    expect(await other.commit()).toEqual({ inserted: 1, updated: 0 });
    expect((await store.counts()).citizens).toBe(1001);
  });

  it('a rollback leaves the empty table as it was and no loaded table', async () => {
    const store = await open();
    const before = await tableOid();
    const s = await store.beginSeed({ atomic: true });
    await s.write(people(500));
    await s.rollback();
    expect(await tableOid()).toBe(before);
    expect(await loadTableLeft()).toBeNull();
    expect((await store.counts()).citizens).toBe(0);
  });
});

describe('what it shows', () => {
  it('names the host, port and database, never the user or password, and refuses backups in one line', async () => {
    const store = await open();
    const { port, password, username } = new URL(db.url);
    expect(store.description).toBe(`PostgreSQL 127.0.0.1:${port}/${db.name}`);
    expect(store.description).not.toContain(password);
    expect(store.description).not.toContain(username);
    const backup = store.backup('/tmp/never-written.db', { now: T0, repliesBefore: T0 });
    await expect(backup).rejects.toThrow(StoreUnsupportedError);
    await expect(backup).rejects.toThrow(/^PostgreSQL is backed up with its own tools \(pg_dump, [^\n]+docs\/deploy\.md$/);
  });

  it('fails to open with a wrong password without repeating it', async () => {
    const url = new URL(db.url);
    url.password = 'wrong-Secret-4242';
    const { message } = await failure(openPostgresStore(url.toString()));
    expect(message).toMatch(/^cannot open the database PostgreSQL [^\n]+password authentication failed[^\n]*$/);
    expect(message).not.toContain('wrong-Secret-4242');
  });
});
