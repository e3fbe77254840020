/**
 * The PostgreSQL implementation of {@link Store}, on node-postgres (`pg`): a pool of connections
 * per process, several processes (nodes) on one database, migrations applied on open.
 *
 * Admission is one READ COMMITTED transaction per message, in two round trips: the statements of
 * each step are pipelined (sent together, answered together).
 *   1. BEGIN; lock the sender's state row (`INSERT … ON CONFLICT DO UPDATE`, which inserts a
 *      placeholder or locks the row there is); read the record; read its history (LS only).
 *   2. `decide` runs on what was read. Then one statement records it (audit row, reply, sender
 *      state, joined by CTEs), and COMMIT. The promise resolves only when COMMIT has returned:
 *      with `synchronous_commit` on, the audit row is durable before any reply is sent.
 * The row lock makes the admissions of one sender wait for each other on every node, so no two
 * of them can pass a limit together. The unique index on MessageSid makes a delivery of the same
 * message to a second node wait for the first one's commit, then find it recorded: it writes
 * nothing, and answers the reply kept by the first (a third round trip, only for duplicates).
 *
 * Timeouts keep a webhook inside Twilio's 15 s: a connection is had within 2 s (new or from the
 * pool), the server stops a statement after 3.5 s (`statement_timeout`, which also bounds lock
 * waits) and ends a session left idle inside a transaction for 5 s (releasing its locks), and the
 * client gives up on a query unanswered for 4 s (a network that drops packets silently). An
 * admission therefore fails within about 10 s at worst, and at once when the server refuses
 * connections; it fails with {@link StoreUnavailableError}, answered 503 so that Twilio retries.
 * The pool drops broken connections and opens new ones on demand: service resumes by itself when
 * the database is back. Tools' long operations (seeding, retention, counts, integrity) use a
 * connection of their own without those timeouts.
 */
import pg from 'pg';
import type { ClientBase, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { decodeSenderState, EMPTY_SENDER, encodeSenderState, type SenderState } from '../audit/senders.js';
import type { AccessEntry, AuditCommand, DeliveryEvent, Outcome } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { errorCode, errorMessage } from '../errors.js';
import { GENESIS, type AuditRecord, type ChainHead, type DeliveryRecord, type PruneCheckpoint, type Seal } from '../audit/chain.js';
import type { SealedEntry } from '../audit/verifyChain.js';
import {
  CHAIN_SQL,
  chainStateValues,
  DELIVERY_CHAIN_SQL,
  gapRead,
  numbered,
  toChainState,
  toCheckpoint,
  toDeliveryRecord,
  toSealedEntry,
  type ChainStateRow,
  type CheckpointRow,
  type DeliveryEventRow,
  type SealedRow,
} from './chainRows.js';
import { toAccessEntry, toDeliveryEvent, withDeliveries, type DeliveryRow } from './auditRows.js';
import { CITIZEN_COLUMNS, toCitizen, type CitizenRow } from './citizenRows.js';
import { appendSeals, type ChainState } from './sealPlan.js';
import { sealRun, type SealRows, type SealStep } from './sealRun.js';
import { beginPostgresSeed } from './postgresCitizens.js';
import { isUnavailable, redact } from './postgresErrors.js';
import { coalesceWrites } from './postgresWrites.js';
import { EXPECTED_TABLES, EXPECTED_TRIGGERS, migrate, SCHEMA_VERSION, schemaVersion } from './postgresMigrations.js';
import {
  StoreOpenError,
  StoreUnavailableError,
  StoreUnsupportedError,
  type AccessHistory,
  type Admission,
  type Admitted,
  type Decide,
  type PruneAuditResult,
  type DeliveryRecorded,
  type PruneCounts,
  type SealResult,
  type SeedSession,
  type Store,
  type StoreCounts,
  type StoredAuditEntry,
  type TrailEntry,
  type Verdict,
} from './types.js';

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Shown in `pg_stat_activity`. Default `citizen-sms`. */
  applicationName?: string;
  /** How long to wait for a connection, new or from the pool. Default 2,000 ms. */
  connectTimeoutMs?: number;
  /** The server's `statement_timeout` for the pool's sessions. Default 3,500 ms. */
  statementTimeoutMs?: number;
}

const DEFAULTS = { poolSize: 10, applicationName: 'citizen-sms', connectTimeoutMs: 2_000, statementTimeoutMs: 3_500 };
/** The server ends a session idle inside a transaction this long, releasing its locks. */
const IDLE_IN_TRANSACTION_MS = 5_000;
/** Extra time the client gives the server beyond `statement_timeout` before it drops the connection. */
const QUERY_TIMEOUT_MARGIN_MS = 500;
/** A maintenance connection (seeding, retention, counts) ends a session idle in a transaction after 10 min. */
const TOOL_IDLE_IN_TRANSACTION_MS = 600_000;
/** Expired sender states deleted per statement, so that no statement holds many row locks for long. */
const PRUNE_BATCH = 5_000;

/** bigint (int8) columns as numbers: times in milliseconds, ids and counts all stay below 2^53. */
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(pg.types.builtins.INT8, Number);

const COLUMNS = CITIZEN_COLUMNS.join(', ');
const EMPTY_STATE = encodeSenderState(EMPTY_SENDER);

/**
 * Locks the sender's row and reads its state, inserting a placeholder (deleted again unless a state
 * is written into it) when there is none: `fresh`. The no-op update is what locks an existing row;
 * it changes no indexed column, so it can be a HOT update (a new row version, no index entry).
 */
const LOCK_SENDER = `INSERT INTO senders AS s (sender, state, expires_at) VALUES ($1, '${EMPTY_STATE}', 0)
  ON CONFLICT (sender) DO UPDATE SET state = s.state RETURNING s.state, s.xmax = 0 AS fresh`;

const SQL = {
  lockSender: LOCK_SENDER,
  // The same, and the record asked about, in one statement (a tracked sender's lookup).
  lockSenderReading: `WITH l AS (${LOCK_SENDER})
    SELECT l.state, l.fresh, ${CITIZEN_COLUMNS.map((c) => `c.${c}`).join(', ')} FROM l LEFT JOIN citizens c ON c.id_number = $2`,
  senderState: `SELECT state FROM senders WHERE sender = $1`,
  updateSender: `UPDATE senders SET state = $2, expires_at = $3 WHERE sender = $1`,
  deleteSender: `DELETE FROM senders WHERE sender = $1`,
  findCitizen: `SELECT ${COLUMNS} FROM citizens WHERE id_number = $1`,
  // The latest accesses and the count since a time, in one statement: at least one row (the count).
  // Each entry with its reply's delivery statuses in arrival order.
  history: `SELECT h.at, h.command, h.outcome, h.sender, t.total,
      (SELECT string_agg(d.status, ',' ORDER BY d.at, d.id) FROM delivery_events d WHERE d.ref = h.message_sid) AS statuses
    FROM (SELECT count(*) AS total FROM audit_log WHERE target_id = $1 AND at >= $3) t
    LEFT JOIN LATERAL (SELECT at, command, outcome, sender, id, message_sid FROM audit_log WHERE target_id = $1
      ORDER BY at DESC, id DESC LIMIT $2) h ON true
    ORDER BY h.at DESC, h.id DESC`,
  original: `SELECT a.sender, a.command, a.outcome, a.segments, r.twiml FROM audit_log a
    LEFT JOIN message_replies r ON r.audit_id = a.id WHERE a.message_sid = $1`,
  trail: `SELECT id, at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
    WHERE target_id = $1 ORDER BY at, id`,
  trailDeliveries: `SELECT d.at, d.ref, d.message_sid, d.status, d.error_code FROM delivery_events d
    JOIN audit_log a ON a.message_sid = d.ref WHERE a.target_id = $1 ORDER BY d.at, d.id`,
  // The receipt is recorded only when its audit row exists; the row's sender comes back either way.
  recordDelivery: `WITH a AS (SELECT sender FROM audit_log WHERE message_sid = $2),
    i AS (INSERT INTO delivery_events (at, ref, message_sid, status, error_code) SELECT $1, $2, $3, $4, $5 FROM a)
    SELECT sender FROM a`,
  readAudit: `SELECT id, at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
    WHERE id > $1 ORDER BY id LIMIT $2`,
  pruneReplies: `DELETE FROM message_replies WHERE at < $1`,
  pruneSenders: `DELETE FROM senders WHERE sender IN
    (SELECT sender FROM senders WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT ${PRUNE_BATCH})`,
  readOnly: `SELECT current_setting('transaction_read_only') AS value`,
  counts: `SELECT (SELECT count(*) FROM citizens) AS citizens, (SELECT count(*) FROM audit_log) AS audit_log,
    (SELECT count(*) FROM message_replies) AS replies, (SELECT count(*) FROM senders) AS senders,
    (SELECT count(*) FROM delivery_events) AS delivery_events`,
};

/** The chain's SQL with PostgreSQL's placeholders; seals are inserted a batch per statement. */
const PG_CHAIN = {
  ...(Object.fromEntries(Object.entries(CHAIN_SQL).map(([k, sql]) => [k, numbered(sql)])) as Record<keyof typeof CHAIN_SQL, string>),
  // Locks the state row: one sealer (one node) at a time; admissions never wait for it.
  lockState: `${CHAIN_SQL.state} FOR UPDATE`,
  insertSeals: `INSERT INTO audit_seals (seq, kind, row_id, row_hash, sealed_at, head)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[])`,
};

/** The sealer's reads of delivery_events, with PostgreSQL's placeholders. */
const PG_DELIVERY_CHAIN = Object.fromEntries(Object.entries(DELIVERY_CHAIN_SQL).map(([k, sql]) => [k, numbered(sql)])) as Record<
  keyof typeof DELIVERY_CHAIN_SQL,
  string
>;

/** The statements of one pass of the sealer over one table. */
interface PassSql {
  gaps: string;
  tail: string;
}

const AUDIT_PASS: PassSql = { gaps: gapRead('audit_log', 'postgres'), tail: PG_CHAIN.tail };

const DELIVERY_PASS: PassSql = {
  gaps: gapRead('delivery_events', 'postgres'),
  tail: PG_DELIVERY_CHAIN.tail,
};

async function insertSeals(client: ClientBase, seals: readonly Seal[]): Promise<void> {
  if (seals.length === 0) return;
  await client.query(PG_CHAIN.insertSeals, [
    seals.map((x) => x.seq),
    seals.map((x) => x.kind),
    seals.map((x) => x.rowId),
    seals.map((x) => x.rowHash),
    seals.map((x) => x.sealedAt),
    seals.map((x) => x.head),
  ]);
}

/**
 * One sealer run in the caller's transaction: locks the chain's state row, runs the steps of
 * {@link sealRun} (each statement of READ COMMITTED sees what committed before it began, so a row
 * that committed late, below rows sealed already, is found by a later run in the gaps it left),
 * saves the state.
 */
async function sealIn(client: ClientBase, now: number): Promise<{ result: SealResult; state: ChainState }> {
  const locked = (await client.query<ChainStateRow>(PG_CHAIN.lockState)).rows[0];
  if (!locked) throw new Error('audit_chain has no state row');
  const before = toChainState(locked);
  const run = sealRun(before, now);
  let step = run.next();
  while (!step.done) step = run.next(await sealStep(client, step.value));
  const { sealed, state } = step.value;
  const values = chainStateValues(state);
  const old = chainStateValues(before);
  if (values.some((v, i) => v !== old[i])) await client.query(PG_CHAIN.writeState, values);
  return { result: { sealed, head: state.head }, state };
}

/** Reads the batch a sealer step asks for, or writes its seals. */
async function sealStep(client: ClientBase, step: SealStep): Promise<SealRows | undefined> {
  if ('write' in step) {
    await insertSeals(client, step.write);
    return undefined;
  }
  const { read } = step;
  const sql = read.kind === 'audit' ? AUDIT_PASS : DELIVERY_PASS;
  const params = read.from === 'gaps' ? [read.gaps, read.after, read.limit] : [read.after, read.limit];
  const { rows } = await client.query<QueryResultRow>(read.from === 'gaps' ? sql.gaps : sql.tail, params);
  return read.kind === 'audit'
    ? { kind: 'audit', rows: (rows as AuditRow[]).map(toAuditEntry) }
    : { kind: 'delivery', rows: (rows as DeliveryEventRow[]).map(toDeliveryRecord) };
}

/**
 * What the recording statement does to the sender's row besides recording the message:
 * `update` writes the new state when the message was recorded; `deleteWhen` deletes the row
 * always, only when the message was recorded, or only when it was a duplicate (a placeholder
 * row this transaction inserted and no longer needs).
 */
interface SenderWrite {
  update: boolean;
  deleteWhen: 'never' | 'always' | 'recorded' | 'duplicate';
}

/** The recording statement for one {@link SenderWrite}: audit row, reply and sender row, one round trip. */
function recordStatement({ update, deleteWhen }: SenderWrite): string {
  const parts = [
    `a AS (INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_sid) DO NOTHING RETURNING id)`,
    `r AS (INSERT INTO message_replies (audit_id, at, twiml) SELECT id, $1, $8 FROM a)`,
  ];
  if (update) parts.push(`s AS (UPDATE senders SET state = $9, expires_at = $10 WHERE sender = $3 AND EXISTS (SELECT 1 FROM a))`);
  const when = { never: undefined, always: '', recorded: ' AND EXISTS (SELECT 1 FROM a)', duplicate: ' AND NOT EXISTS (SELECT 1 FROM a)' }[
    deleteWhen
  ];
  if (when !== undefined) parts.push(`d AS (DELETE FROM senders WHERE sender = $3${when})`);
  return `WITH ${parts.join(',\n')}\nSELECT id FROM a`;
}

/** What happens to the sender's row, from whether it was a placeholder and what the verdict says. */
function senderWrite(tracked: boolean, fresh: boolean, verdict: Verdict): SenderWrite {
  if (!tracked) return { update: false, deleteWhen: 'never' };
  const next = verdict.sender;
  if (next && next.expiresAt !== 0) return { update: true, deleteWhen: fresh ? 'duplicate' : 'never' };
  if (next) return { update: false, deleteWhen: fresh ? 'always' : 'recorded' };
  return { update: false, deleteWhen: fresh ? 'always' : 'never' };
}

interface AuditRow {
  id: number;
  at: number;
  message_sid: string;
  sender: string;
  command: string;
  target_id: string | null;
  outcome: string;
  segments: number;
}

function toAuditEntry(r: AuditRow): StoredAuditEntry {
  return {
    id: r.id,
    at: r.at,
    messageSid: r.message_sid,
    sender: r.sender,
    command: r.command as AuditCommand,
    targetId: r.target_id,
    outcome: r.outcome as Outcome,
    segments: r.segments,
  };
}

interface HistoryRow {
  at: number | null;
  command: string | null;
  outcome: string | null;
  sender: string | null;
  total: number;
  statuses: string | null;
}

function toHistory(rows: HistoryRow[], ownerPhone: string): AccessHistory {
  const entries: AccessEntry[] = [];
  for (const r of rows) {
    if (r.at === null || r.command === null || r.outcome === null || r.sender === null) continue;
    entries.push(toAccessEntry({ at: r.at, command: r.command, outcome: r.outcome, sender: r.sender, statuses: r.statuses }, ownerPhone));
  }
  return { entries, total: rows[0]?.total ?? 0 };
}

/** Where a URL points, for logs: `host:port/database`, never the user or password. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  const host = decodeURIComponent(u.hostname) || u.searchParams.get('host') || 'localhost';
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  return `${host}:${u.port || '5432'}/${database}`;
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Opens the pool, checks that the database answers, and brings its schema up to date. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  let description: string;
  try {
    description = `PostgreSQL ${describeUrl(url)}`;
  } catch {
    throw new StoreOpenError('DATABASE_URL is not a valid URL');
  }
  const store = new PostgresStore(url, description, options);
  try {
    const client = await store.maintenanceClient();
    try {
      await migrate(client);
      // "No reply before its audit row is durable" needs each COMMIT to wait for its WAL flush.
      // The server's, database's or role's setting applies to every session the pool will open.
      const setting = (await client.query<{ value: string }>(`SELECT current_setting('synchronous_commit') AS value`)).rows[0]?.value;
      if (setting === 'off') {
        throw new StoreOpenError(
          `${description} has synchronous_commit = off: a reply could leave before its audit row is durable; set it to on`,
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    await store.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot open the database ${description}: ${redact(errorMessage(err), passwordOf(url))}`);
  }
  return store;
}

/** {@link Store} over a pool of PostgreSQL connections. */
export class PostgresStore implements Store {
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly password: string | undefined;
  private readonly clientConfig: pg.ClientConfig;

  constructor(url: string, description: string, options: PostgresStoreOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    this.description = description;
    this.password = passwordOf(url);
    this.clientConfig = {
      connectionString: url,
      application_name: o.applicationName,
      connectionTimeoutMillis: o.connectTimeoutMs,
      keepAlive: true,
      types: TYPES,
    };
    this.pool = new pg.Pool({
      ...this.clientConfig,
      max: o.poolSize,
      idleTimeoutMillis: 30_000,
      statement_timeout: o.statementTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      query_timeout: o.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      pipeline: true,
    });
    // An idle connection that breaks (the server restarted) is dropped by the pool, which emits
    // 'error': without a listener that would end the process. The next query opens a new one.
    this.pool.on('error', () => undefined);
    // A connection that breaks while checked out emits 'error' too; the query waiting on it is
    // rejected anyway, which is where the failure is handled.
    this.pool.on('connect', (client) => {
      client.on('error', () => undefined);
      coalesceWrites(client.connection.stream);
    });
  }

  /**
   * A connection outside the pool, without the webhook's timeouts, for tools' long operations.
   * "No statement timeout" is asked for in the startup packet (`-c statement_timeout=0`): pg sends
   * no `statement_timeout` parameter for 0, and the session would then get the role's, database's
   * or server's default (such as the 3.5 s a PgBouncer setup puts on the role), which would stop
   * a large seed.
   */
  async maintenanceClient(): Promise<pg.Client> {
    const client = new pg.Client({
      ...this.clientConfig,
      options: '-c statement_timeout=0',
      idle_in_transaction_session_timeout: TOOL_IDLE_IN_TRANSACTION_MS,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.storeError(err);
    }
    return client;
  }

  /** The error to reject with: {@link StoreUnavailableError} when the database is not answering. */
  private storeError(err: unknown): unknown {
    if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
    return new StoreUnavailableError(`${this.description} unavailable: ${redact(errorMessage(err), this.password)}`, { cause: err });
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw this.storeError(err);
    }
  }

  /** Runs `work` on a pooled connection. A connection that failed is closed, not returned to the pool. */
  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let failure: unknown;
    try {
      return await work(client);
    } catch (err) {
      failure = err;
      throw this.storeError(err);
    } finally {
      client.release(failure !== undefined && isUnavailable(failure) ? toError(failure) : undefined);
    }
  }

  /**
   * `work` inside a transaction on a pooled connection. BEGIN is pipelined with the first
   * statements of `work`, which awaits it with them (`begun`), so nothing is decided on a
   * transaction that did not start. `work` ends the transaction itself (COMMIT or ROLLBACK); when
   * it throws, the transaction is rolled back.
   */
  private transaction<T>(work: (client: PoolClient, begun: Promise<unknown>) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const begun = client.query('BEGIN');
      begun.catch(() => undefined); // awaited by `work`; its failure is handled there
      try {
        return await work(client, begun);
      } catch (err) {
        await rollback(client);
        throw err;
      }
    });
  }

  /** `work` on a maintenance connection, closed afterwards. */
  private async withMaintenance<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.maintenanceClient();
    try {
      return await work(client);
    } catch (err) {
      throw this.storeError(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async findCitizen(idNumber: string): Promise<Citizen | undefined> {
    return this.withClient(async (client) => {
      const row = (await query<CitizenRow>(client, 'findCitizen', SQL.findCitizen, [idNumber])).rows[0];
      return row ? toCitizen(row) : undefined;
    });
  }

  async beginSeed({ atomic }: { atomic: boolean }): Promise<SeedSession> {
    const client = await this.maintenanceClient();
    const session = await beginPostgresSeed(client, atomic);
    const guard = async <R>(step: Promise<R>): Promise<R> => {
      try {
        return await step;
      } catch (err) {
        throw this.storeError(err);
      }
    };
    return {
      write: (batch) => guard(session.write(batch)),
      commit: () => guard(session.commit()),
      rollback: () => guard(session.rollback()),
    };
  }

  admit(a: Admission, decide: Decide): Promise<Admitted> {
    return this.transaction(async (client, begun) => {
      // A tracked sender's lookup locks and reads in one statement; otherwise each on its own.
      const both = a.tracked && a.targetId !== null ? this.lockSenderReading(client, a.sender, a.targetId) : undefined;
      const lock = both ?? (a.tracked ? this.lockSender(client, a.sender) : undefined);
      const citizenRead =
        both?.then(({ row }) => row) ??
        (a.targetId === null ? undefined : query<CitizenRow>(client, 'findCitizen', SQL.findCitizen, [a.targetId]).then((r) => r.rows[0]));
      const historyRead =
        a.history && a.targetId !== null
          ? query<HistoryRow>(client, 'history', SQL.history, [a.targetId, a.history.limit, a.history.since])
          : undefined;
      const [, locked, citizenRow, historyResult] = await flight([begun, lock, citizenRead, historyRead] as const);
      const citizen = citizenRow ? toCitizen(citizenRow) : undefined;
      const history = citizen && historyResult ? toHistory(historyResult.rows, citizen.phone) : undefined;
      const verdict = decide({ sender: locked?.state ?? EMPTY_SENDER, citizen, history });

      const write = senderWrite(a.tracked, locked?.fresh ?? false, verdict);
      const values: unknown[] = [
        a.at,
        a.messageSid,
        a.sender,
        verdict.command,
        a.targetId,
        verdict.outcome,
        verdict.segments,
        verdict.twiml,
      ];
      if (write.update && verdict.sender) values.push(encodeSenderState(verdict.sender.state), verdict.sender.expiresAt);
      const recordName = `record_${String(write.update)}_${write.deleteWhen}`;
      const [recorded, commit] = await flight([
        query<{ id: number }>(client, recordName, recordStatement(write), values),
        client.query('COMMIT'),
      ] as const);
      if (commit.command !== 'COMMIT') throw new Error(`admission not committed: ${commit.command}`);
      if (recorded.rows.length === 1) return { duplicate: false, verdict };
      return this.original(client, a);
    });
  }

  /** A redelivered MessageSid: what was recorded for it, and its reply (to the same sender only). */
  private async original(client: PoolClient, a: Admission): Promise<Admitted> {
    const row = (
      await query<{ sender: string; command: AuditCommand; outcome: Outcome; segments: number; twiml: string | null }>(
        client,
        'original',
        SQL.original,
        [a.messageSid],
      )
    ).rows[0];
    if (!row) throw new Error('a duplicate MessageSid without its audit row');
    return {
      duplicate: true,
      original: { command: row.command, outcome: row.outcome, segments: row.segments },
      twiml: row.sender === a.sender ? (row.twiml ?? undefined) : undefined,
    };
  }

  /**
   * Locks the sender's row for the rest of the transaction, creating a placeholder when there is
   * none (`fresh`), in one statement. `INSERT … ON CONFLICT DO UPDATE` either inserts or locks and
   * returns the newest committed version of the row, whatever the statement's snapshot: a row
   * another transaction inserted meanwhile is waited for and then locked; one deleted meanwhile is
   * inserted again.
   */
  private async lockSender(client: ClientBase, sender: string): Promise<{ state: SenderState; fresh: boolean }> {
    const row = (await query<{ state: string; fresh: boolean }>(client, 'lockSender', SQL.lockSender, [sender])).rows[0];
    if (!row) throw new Error('locking a sender returned no row');
    return { state: decodeSenderState(row.state), fresh: row.fresh };
  }

  /** {@link lockSender}, and the record `idNumber` when there is one. */
  private async lockSenderReading(
    client: ClientBase,
    sender: string,
    idNumber: string,
  ): Promise<{ state: SenderState; fresh: boolean; row: CitizenRow | undefined }> {
    // LEFT JOIN: every citizen column NULL when there is no such record.
    type Locked = { state: string; fresh: boolean } & (CitizenRow | { [K in keyof CitizenRow]: null });
    const row = (await query<Locked>(client, 'lockSenderReading', SQL.lockSenderReading, [sender, idNumber])).rows[0];
    if (!row) throw new Error('locking a sender returned no row');
    return { state: decodeSenderState(row.state), fresh: row.fresh, row: row.id_number === null ? undefined : row };
  }

  updateSender(
    sender: string,
    update: (state: SenderState) => { state: SenderState; expiresAt: number | null } | undefined,
  ): Promise<boolean> {
    return this.transaction(async (client, begun) => {
      const [, { state, fresh }] = await flight([begun, this.lockSender(client, sender)] as const);
      const next = update(state);
      if (!next && !fresh) {
        await rollback(client);
        return false;
      }
      // A placeholder inserted for the lock and not needed is deleted again.
      if (!next || next.expiresAt === 0) await query(client, 'deleteSender', SQL.deleteSender, [sender]);
      else await query(client, 'updateSender', SQL.updateSender, [sender, encodeSenderState(next.state), next.expiresAt]);
      await client.query('COMMIT');
      return next !== undefined;
    });
  }

  async senderState(sender: string): Promise<SenderState> {
    return this.withClient(async (client) => {
      const row = (await query<{ state: string }>(client, 'senderState', SQL.senderState, [sender])).rows[0];
      return row ? decodeSenderState(row.state) : EMPTY_SENDER;
    });
  }

  async accessHistory(idNumber: string, ownerPhone: string, { limit, since }: { limit: number; since: number }): Promise<AccessHistory> {
    return this.withClient(async (client) => {
      const result = await query<HistoryRow>(client, 'history', SQL.history, [idNumber, limit, since]);
      return toHistory(result.rows, ownerPhone);
    });
  }

  async recordDelivery(event: DeliveryEvent): Promise<DeliveryRecorded | undefined> {
    return this.withClient(async (client) => {
      const values = [event.at, event.ref, event.messageSid, event.status, event.errorCode];
      const row = (await query<{ sender: string }>(client, 'recordDelivery', SQL.recordDelivery, values)).rows[0];
      return row ? { sender: row.sender } : undefined;
    });
  }

  async auditTrail(idNumber: string): Promise<TrailEntry[]> {
    return this.withMaintenance(async (client) => {
      // One snapshot for both reads, so that every delivery listed belongs to an access listed.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const trail = await client.query<AuditRow>(SQL.trail, [idNumber]);
      const deliveries = await client.query<DeliveryRow>(SQL.trailDeliveries, [idNumber]);
      await client.query('COMMIT');
      return withDeliveries(trail.rows.map(toAuditEntry), deliveries.rows.map(toDeliveryEvent));
    });
  }

  async readAudit(afterId: number, limit: number): Promise<StoredAuditEntry[]> {
    return this.withClient(async (client) => {
      const result = await query<AuditRow>(client, 'readAudit', SQL.readAudit, [afterId, limit]);
      return result.rows.map(toAuditEntry);
    });
  }

  async pruneAudit(before: number, now = Date.now()): Promise<PruneAuditResult> {
    return this.withMaintenance(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await this.pruneIn(client, before, now);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await rollback(client);
        throw err;
      }
    });
  }

  /** Retention in the caller's transaction: see {@link Store.pruneAudit}. */
  private async pruneIn(client: ClientBase, before: number, now: number): Promise<PruneAuditResult> {
    let { state } = await sealIn(client, now);
    const one = async <R extends QueryResultRow>(sql: string, values: unknown[] = []): Promise<R> => {
      const row = (await client.query<R>(sql, values)).rows[0];
      if (!row) throw new Error('a query that returns one row returned none');
      return row;
    };
    const firstKept = (await one<{ seq: number | null }>(PG_CHAIN.firstKept, [before])).seq;
    const lastCut = (await one<{ seq: number }>(PG_CHAIN.lastCut)).seq;
    let cut = Math.max(lastCut, firstKept === null ? state.head.seq : firstKept - 1);
    for (;;) {
      const after = (await one<{ seq: number | null }>(PG_CHAIN.deliverySealedAfterCut, [cut, cut])).seq;
      if (after === null) break;
      cut = after - 1;
    }
    const range = await one<{ removed: number; oldest: number | null; newest: number | null }>(PG_CHAIN.cutRange, [cut]);
    if (range.removed === 0) return { removed: 0 };
    // The one exception to append-only: the trigger allows DELETE while this transaction-local
    // setting is on. It ends with the transaction, whatever happens.
    await client.query(`SET LOCAL app.prune_audit = 'on'`);
    await client.query(PG_CHAIN.pruneReplies, [cut]);
    await client.query(PG_CHAIN.pruneDeliveries, [cut]);
    await client.query(PG_CHAIN.pruneRows, [cut]);
    const cutHead = cut === 0 ? GENESIS.hash : (await one<{ head: string }>(PG_CHAIN.headAt, [cut])).head;
    const id = (await one<{ id: number }>(PG_CHAIN.nextCheckpointId)).id;
    const checkpoint: PruneCheckpoint = {
      id,
      cutSeq: cut,
      cutHead,
      removed: range.removed,
      oldest: range.oldest,
      newest: range.newest,
      at: now,
    };
    await client.query(PG_CHAIN.insertCheckpoint, [id, cut, cutHead, checkpoint.removed, checkpoint.oldest, checkpoint.newest, now]);
    const sealed = appendSeals(state, [{ kind: 'prune', row: checkpoint }], now);
    await insertSeals(client, sealed.seals);
    state = sealed.state;
    await client.query(PG_CHAIN.writeState, chainStateValues(state));
    return { removed: range.removed, oldest: range.oldest ?? undefined, newest: range.newest ?? undefined, checkpoint };
  }

  sealAudit(now: number): Promise<SealResult> {
    return this.transaction(async (client, begun) => {
      await begun;
      const { result } = await sealIn(client, now);
      await client.query('COMMIT');
      return result;
    });
  }

  async auditHead(): Promise<ChainHead> {
    return this.withClient(async (client) => {
      const row = (await client.query<ChainStateRow>(PG_CHAIN.state)).rows[0];
      if (!row) throw new Error('audit_chain has no state row');
      return toChainState(row).head;
    });
  }

  async readSeals(afterSeq: number, limit: number): Promise<SealedEntry[]> {
    return this.withMaintenance(async (client) =>
      (await client.query<SealedRow>(PG_CHAIN.seals, [afterSeq, limit])).rows.map(toSealedEntry),
    );
  }

  async readUnsealedAudit(afterId: number, limit: number): Promise<AuditRecord[]> {
    return this.withMaintenance(async (client) =>
      (await client.query<AuditRow>(PG_CHAIN.unsealed, [afterId, limit])).rows.map(toAuditEntry),
    );
  }

  async readUnsealedDeliveries(afterId: number, limit: number): Promise<DeliveryRecord[]> {
    return this.withMaintenance(async (client) =>
      (await client.query<DeliveryEventRow>(PG_DELIVERY_CHAIN.unsealed, [afterId, limit])).rows.map(toDeliveryRecord),
    );
  }

  async auditCheckpoints(): Promise<PruneCheckpoint[]> {
    return this.withMaintenance(async (client) => (await client.query<CheckpointRow>(PG_CHAIN.checkpoints)).rows.map(toCheckpoint));
  }

  async pruneExpired({ now, repliesBefore }: { now: number; repliesBefore: number }): Promise<PruneCounts> {
    return this.withClient(async (client) => {
      const replies = (await query(client, 'pruneReplies', SQL.pruneReplies, [repliesBefore])).rowCount ?? 0;
      let senders = 0;
      for (;;) {
        const removed = (await query(client, 'pruneSenders', SQL.pruneSenders, [now])).rowCount ?? 0;
        senders += removed;
        if (removed < PRUNE_BATCH) break;
      }
      return { replies, senders };
    });
  }

  async counts(): Promise<StoreCounts> {
    return this.withMaintenance(async (client) => {
      const row = (
        await client.query<{ citizens: number; audit_log: number; replies: number; senders: number; delivery_events: number }>(SQL.counts)
      ).rows[0];
      return {
        citizens: row?.citizens ?? 0,
        auditLog: row?.audit_log ?? 0,
        replies: row?.replies ?? 0,
        senders: row?.senders ?? 0,
        deliveryEvents: row?.delivery_events ?? 0,
      };
    });
  }

  async ping(): Promise<void> {
    await this.withClient((client) => client.query('SELECT 1'));
  }

  async sizeBytes(): Promise<number> {
    return this.withClient(async (client) => {
      const row = (await client.query<{ size: number }>('SELECT pg_database_size(current_database()) AS size')).rows[0];
      return row?.size ?? 0;
    });
  }

  async migrationsCurrent(): Promise<boolean> {
    return this.withClient(async (client) => (await schemaVersion(client)) === SCHEMA_VERSION);
  }

  /** A standby (in recovery) and a database or role with `default_transaction_read_only` take no writes. */
  async acceptsWrites(): Promise<boolean> {
    return this.withClient(async (client) => {
      const row = (await query<{ value: string }>(client, 'readOnly', SQL.readOnly, [])).rows[0];
      return row?.value === 'off';
    });
  }

  /**
   * What PostgreSQL can check cheaply, without reading every page: the schema version, the tables,
   * the append-only triggers (present and enabled) and the indexes (none left invalid by an
   * interrupted build). Page-level corruption is found by the server's data checksums and by
   * `pg_amcheck`, run by the database's operators.
   */
  async checkIntegrity(): Promise<string[]> {
    return this.withMaintenance(async (client) => {
      const findings: string[] = [];
      const version = await schemaVersion(client);
      if (version !== SCHEMA_VERSION) findings.push(`schema version ${version}, expected ${SCHEMA_VERSION}`);
      const tables = await client.query<{ name: string; present: boolean }>(
        `SELECT name, to_regclass(name) IS NOT NULL AS present FROM unnest($1::text[]) AS name`,
        [EXPECTED_TABLES],
      );
      for (const t of tables.rows) if (!t.present) findings.push(`table ${t.name} missing`);
      const triggers = await client.query<{ name: string; enabled: string | null }>(
        `SELECT name, t.tgenabled AS enabled FROM unnest($1::text[]) AS name
         LEFT JOIN pg_trigger t ON t.tgname = name AND NOT t.tgisinternal`,
        [EXPECTED_TRIGGERS],
      );
      for (const t of triggers.rows) {
        if (t.enabled === null) findings.push(`trigger ${t.name} missing`);
        else if (t.enabled === 'D') findings.push(`trigger ${t.name} disabled`);
      }
      const invalid = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t) AND NOT (i.indisvalid AND i.indisready)`,
        [EXPECTED_TABLES],
      );
      for (const i of invalid.rows) findings.push(`index ${i.name} invalid`);
      return findings;
    });
  }

  backup(_file: string, _expiry: { now: number; repliesBefore: number }): Promise<void> {
    return Promise.reject(
      new StoreUnsupportedError(
        'PostgreSQL is backed up with its own tools (pg_dump, base backups and point-in-time recovery): see docs/deploy.md',
      ),
    );
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}

/** SQLSTATE of every statement after the first failure in a transaction. */
const IN_FAILED_TRANSACTION = '25P02';

/**
 * Awaits the statements of one pipelined round trip, all of them: nothing more is sent before they
 * have all settled. When some failed, throws the first failure that is not merely "the
 * transaction is aborted" (which the statements behind a failure all report).
 */
async function flight<T extends readonly unknown[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(steps);
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((e) => errorCode(e) !== IN_FAILED_TRANSACTION) ?? failures[0];
  return settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Runs a named (prepared once per connection) statement. */
function query<R extends QueryResultRow = QueryResultRow>(
  client: ClientBase,
  name: string,
  text: string,
  values: unknown[],
): Promise<QueryResult<R>> {
  const config: QueryConfig = { name, text, values };
  return client.query<R>(config);
}

async function rollback(client: ClientBase): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(errorMessage(err));
}
