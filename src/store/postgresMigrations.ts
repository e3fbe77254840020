/**
 * The PostgreSQL schema as numbered migrations, applied when a store opens. The table
 * `schema_migrations` holds one row per migration applied. Append new migrations; never edit an
 * applied one. The schema is the one SQLite reaches after its own migrations (`migrations.ts`),
 * with PostgreSQL's types: times are bigint milliseconds since the epoch.
 */
import { gapsMigration } from './chainRows.js';
import type { ClientBase } from 'pg';
import { StoreOpenError } from './types.js';

/** `null`: a number not used here (reserved, or kept equal to SQLite's numbering); nothing runs for it. */
export const MIGRATIONS: readonly (string | null)[] = [
  // 1: citizens; the append-only audit log; reply bodies kept for redeliveries; sender states.
  `CREATE TABLE citizens (
     id_number text PRIMARY KEY,
     full_name text NOT NULL,
     date_of_birth text NOT NULL,
     sex text NOT NULL CHECK (sex IN ('M', 'F')),
     phone text NOT NULL,
     birth_registration_place text,
     hometown text,
     ethnicity text,
     religion text,
     nationality text,
     permanent_address text,
     temporary_address text,
     current_address text,
     card_issued_on text,
     card_expires_on text
   );

   CREATE TABLE audit_log (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at bigint NOT NULL,
     message_sid text NOT NULL,
     sender text NOT NULL,
     command text NOT NULL,
     target_id text,
     outcome text NOT NULL CHECK (outcome IN
       ('served', 'refused', 'rate_limited', 'locked', 'help', 'opted_out', 'no_reply')),
     segments integer NOT NULL
   );
   -- Few indexes: each B-tree is written for every message. The MessageSid makes a redelivery a
   -- conflict (and a delivery to two nodes at once waits for the first); LS reads by target.
   -- Nothing on sender: the limits read the sender's state row. A BRIN index on the time (rows
   -- arrive in time order) lets retention find old rows without a scan, for almost no write cost.
   CREATE UNIQUE INDEX audit_log_message_sid ON audit_log (message_sid);
   CREATE INDEX audit_log_target ON audit_log (target_id, at) WHERE target_id IS NOT NULL;
   CREATE INDEX audit_log_at ON audit_log USING brin (at);

   -- The audit log is append-only: UPDATE, DELETE and TRUNCATE are refused by the database, for
   -- every role. Retention (Store.pruneAudit) is the one exception: its transaction sets
   -- app.prune_audit to 'on' with SET LOCAL, which ends with that transaction. (This guards
   -- against mistakes, not against a role that may drop triggers: give the service's role no
   -- more than it needs, see docs/deploy.md.) Statement-level triggers: one check per statement,
   -- none per row.
   CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'DELETE' AND current_setting('app.prune_audit', true) = 'on' THEN
       RETURN NULL;
     END IF;
     RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
   END
   $$;
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
   CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

   -- Keyed by the audit row (its id only grows); no foreign key (a check per insert), pruning
   -- removes both. Kept for minutes: found by time through a BRIN index.
   CREATE TABLE message_replies (
     audit_id bigint PRIMARY KEY,
     at bigint NOT NULL,
     twiml text NOT NULL
   );
   CREATE INDEX message_replies_at ON message_replies USING brin (at);

   -- One state row per sender, locked by each message's transaction (src/store/postgres.ts, lockSender).
   CREATE TABLE senders (
     sender text PRIMARY KEY,
     state text NOT NULL,   -- encodeSenderState(); the store does not read inside it
     expires_at bigint      -- when the row may be deleted; NULL: kept (an opt-out)
   );
   CREATE INDEX senders_expiry ON senders (expires_at) WHERE expires_at IS NOT NULL;`,

  // 2-4: SQLite's 2-4, already in 1 here.
  null,
  null,
  null,

  // 5: delivery receipts, as in SQLite's 5. Each status callback Twilio posts for a reply is one row, append-only
  // like the audit log (the same rule, the same exception for retention), linked to the audit
  // row by the inbound message's MessageSid (`ref`, unique in audit_log).
  `CREATE TABLE delivery_events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at bigint NOT NULL,
     ref text NOT NULL,          -- audit_log.message_sid of the inbound message
     message_sid text NOT NULL,  -- the outbound message (the reply)
     status text NOT NULL,
     error_code text
   );
   CREATE INDEX delivery_events_ref ON delivery_events (ref);
   CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'DELETE' AND current_setting('app.prune_audit', true) = 'on' THEN
       RETURN NULL;
     END IF;
     RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
   END
   $$;
   CREATE TRIGGER delivery_events_no_update BEFORE UPDATE ON delivery_events
     FOR EACH STATEMENT EXECUTE FUNCTION append_only();
   CREATE TRIGGER delivery_events_no_delete BEFORE DELETE ON delivery_events
     FOR EACH STATEMENT EXECUTE FUNCTION append_only();
   CREATE TRIGGER delivery_events_no_truncate BEFORE TRUNCATE ON delivery_events
     FOR EACH STATEMENT EXECUTE FUNCTION append_only();`,

  // 6: the hash chain over the audit log (src/audit/chain.ts), as in SQLite's 6. The sealer locks
  // the one row of audit_chain (SELECT ... FOR UPDATE: a row lock, which works through PgBouncer),
  // so one node seals at a time; admissions never touch these tables.
  `CREATE TABLE audit_chain (
     id integer PRIMARY KEY CHECK (id = 1),
     seq bigint NOT NULL,
     head text NOT NULL,
     last_sealed_at bigint,
     scan_from bigint NOT NULL,
     candidate_id bigint,
     candidate_at bigint
   );
   INSERT INTO audit_chain (id, seq, head, last_sealed_at, scan_from) VALUES (1, 0, '${'0'.repeat(64)}', NULL, 0);
   CREATE TABLE audit_seals (
     seq bigint PRIMARY KEY,
     kind text NOT NULL,          -- 'audit' (audit_log), 'prune' (audit_checkpoints); more kinds may follow
     row_id bigint NOT NULL,
     row_hash text NOT NULL,
     sealed_at bigint NOT NULL,
     head text NOT NULL,
     UNIQUE (kind, row_id)
   );
   CREATE TABLE audit_checkpoints (
     id bigint PRIMARY KEY,
     cut_seq bigint NOT NULL,
     cut_head text NOT NULL,
     removed bigint NOT NULL,
     oldest bigint,
     newest bigint,
     at bigint NOT NULL
   );
   CREATE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
   END
   $$;
   CREATE TRIGGER audit_seals_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_seals
     FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only();
   CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
     FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only();`,

  // 7: the chain covers delivery events too, as in SQLite's 7: the sealer's pass over delivery_events has its
  // own read position, like the audit log's scan_from/candidate. Its first run seals the events
  // recorded before this migration.
  `ALTER TABLE audit_chain ADD COLUMN delivery_scan_from bigint NOT NULL DEFAULT 0;
   ALTER TABLE audit_chain ADD COLUMN delivery_candidate_id bigint;
   ALTER TABLE audit_chain ADD COLUMN delivery_candidate_at bigint;`,

  // 8: the record's key compares byte by byte (COLLATE "C"), as SQLite's BINARY does. An ID is 12
  // digits, so its order is the same in every locale, but under the database's locale each
  // comparison goes through the C library's collation and sorts cannot use abbreviated keys: the
  // first load's primary key took about twice as long to build (1.2-1.5 s against 0.6-0.9 s for
  // 1,000,000 keys here). Rebuilds the primary key; the table is not rewritten.
  `ALTER TABLE citizens ALTER COLUMN id_number TYPE text COLLATE "C";`,

  // 9: the sealer reads below its read position only where it saw no row (the gaps), instead of
  // counting the rows and seals of the last minute or two on every run (src/store/sealPlan.ts).
  // The window the counts covered becomes one gap, so that a late commit in it is still found.
  gapsMigration('bigint'),
];

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The tables and triggers the schema must have (checked by `checkIntegrity`). */
export const EXPECTED_TABLES = [
  'citizens',
  'audit_log',
  'message_replies',
  'senders',
  'schema_migrations',
  'delivery_events',
  'audit_chain',
  'audit_seals',
  'audit_checkpoints',
] as const;
/** Each append-only table's triggers: `<table>_no_update`, `_no_delete`, `_no_truncate`. */
export const APPEND_ONLY_TABLES = ['audit_log', 'delivery_events'] as const;
export const EXPECTED_TRIGGERS = APPEND_ONLY_TABLES.flatMap((t) => [`${t}_no_update`, `${t}_no_delete`, `${t}_no_truncate`]);

/** The key of the migration lock, the same for every node ('citizen-' in ASCII, as a 64-bit integer). */
const MIGRATION_LOCK_KEY = '7163384678683340333';

/** The schema version recorded in the database, 0 when none. */
export async function schemaVersion(client: ClientBase): Promise<number> {
  const table = await client.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  if (table.rows[0]?.exists !== true) return 0;
  const version = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM schema_migrations`);
  return version.rows[0]?.version ?? 0;
}

/**
 * Applies the migrations the database has not had yet, all in one transaction, or none. Refuses a
 * database whose schema is newer than this code.
 *
 * Several nodes may start at once on an empty database. The transaction first takes
 * `pg_advisory_xact_lock`: the first node holds it while it migrates, the others wait for its
 * COMMIT, then find the schema current and do nothing. A transaction-level advisory lock is
 * released by COMMIT or ROLLBACK (or when the connection drops) and leaves no state in the
 * session, so it also works through PgBouncer in transaction mode. A row lock in a migrations
 * table would need that table to exist first, and `CREATE TABLE IF NOT EXISTS` itself races
 * (two sessions can both try to create it, and one fails on a catalog unique index).
 */
export async function migrate(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    // Waiting for another node's migration, or running a long one, is what start-up should do.
    await client.query(`SET LOCAL statement_timeout = 0`);
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      applied_at bigint NOT NULL
    )`);
    const current = await schemaVersion(client);
    if (current > SCHEMA_VERSION) {
      throw new StoreOpenError(`database schema version ${current} is newer than this program's ${SCHEMA_VERSION}: upgrade the program`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      const migration = MIGRATIONS[version - 1];
      if (migration === null || migration === undefined) continue;
      await client.query(migration);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
