// The tamper-evident audit log through the admin command, run as a process, on SQLite and on
// PostgreSQL: audit-head, verify-audit (intact, and each change made straight in the database
// with the append-only triggers dropped), --head, a prune, and a backup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { recordEntry } from '../../src/testing/audit.js';
import { auditEntry } from '../../src/testing/citizens.js';
import { createTestDatabase } from '../../src/testing/postgres.js';
import { runTool } from '../helpers/cli.js';

const DAY = 86_400_000;
const HEAD = /^\d+:[0-9a-f]{64}$/;

/** One backend's database for a test: how the tools reach it, and SQL straight into it. */
interface Backend {
  env: Record<string, string>;
  open(): Promise<Store>;
  /** Runs statements as the database's owner, with `?` placeholders. */
  exec(sql: string, values?: unknown[]): Promise<void>;
  dropTriggers(): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'chain-'));
  const file = join(dir, 'c.db');
  const exec = (sql: string, values: unknown[] = []) => {
    const db = new Database(file);
    try {
      db.prepare(sql).run(...values);
    } finally {
      db.close();
    }
    return Promise.resolve();
  };
  return Promise.resolve({
    env: { DATABASE_PATH: file },
    open: () => Promise.resolve(openSqliteStore(file)),
    exec,
    dropTriggers: async () => {
      await exec('DROP TRIGGER audit_log_no_update');
      await exec('DROP TRIGGER audit_log_no_delete');
      await exec('DROP TRIGGER delivery_events_no_update');
      await exec('DROP TRIGGER delivery_events_no_delete');
    },
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

async function postgresBackend(): Promise<Backend> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'chain-pg-'));
  const exec = async (sql: string, values: unknown[] = []) => {
    let n = 0;
    await db.sql(
      sql.replace(/\?/g, () => `$${++n}`),
      values,
    );
  };
  return {
    env: { DATABASE_URL: db.url, DATABASE_PATH: join(dir, 'unused.db') },
    open: () => openPostgresStore(db.url),
    exec,
    dropTriggers: async () => {
      await exec('DROP TRIGGER audit_log_no_update ON audit_log');
      await exec('DROP TRIGGER audit_log_no_delete ON audit_log');
      await exec('DROP TRIGGER delivery_events_no_update ON delivery_events');
      await exec('DROP TRIGGER delivery_events_no_delete ON delivery_events');
    },
    cleanup: async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const now = Date.now();
const rows: AuditEntry[] = [400, 390, 30, 20, 10].map((days, i) =>
  auditEntry({ at: now - days * DAY, messageSid: `SMchain${i + 1}`, sender: i % 2 ? '+84971234111' : '+84912345678' }),
);

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
])('the audit chain on %s', (_name, makeBackend) => {
  let b: Backend;
  const admin = (...args: string[]) => runTool('admin', args, b.env);

  beforeEach(async () => {
    b = await makeBackend();
    const store = await b.open();
    for (const r of rows) await recordEntry(store, r);
    await store.close();
  });
  afterEach(async () => {
    await b.cleanup();
  });

  it('audit-head seals and prints the head; verify-audit passes with the count and that head', () => {
    const head = admin('audit-head');
    expect(head.stderr).toBe('');
    expect(head.code).toBe(0);
    expect(head.stdout.trim()).toMatch(HEAD);
    expect(head.stdout.trim()).toMatch(/^5:/);
    const r = admin('verify-audit');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audit log intact: 5 records sealed (5 audit rows present)');
    expect(r.stdout).toContain(`head ${head.stdout.trim()}`);
    expect(admin('verify-audit', '--head', head.stdout.trim()).stdout).toContain(`extends the published head ${head.stdout.trim()}`);
  });

  it.each<[string, (b: Backend) => Promise<void>, RegExp]>([
    ['an UPDATE', (b) => b.exec(`UPDATE audit_log SET outcome = 'refused' WHERE id = 3`), /audit row id 3 \(seal 3\) was edited/],
    ['a DELETE', (b) => b.exec(`DELETE FROM audit_log WHERE id = 2`), /audit row id 2 \(seal 2\) was deleted/],
    [
      'an INSERT of a back-dated row',
      (b) =>
        b.exec(
          `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments) VALUES (?, 'SMforged', '+84912345678', 'TT', '001099054321', 'served', 1)`,
          [now - 15 * DAY],
        ),
      /audit row id 6 has no seal and is older than the last seal: it was inserted/,
    ],
    [
      'a swap of two rows',
      async (b) => {
        await b.exec(`UPDATE audit_log SET message_sid = 'tmp' WHERE id = 2`);
        await b.exec(`UPDATE audit_log SET at = ?, message_sid = 'SMchain2', sender = '+84971234111' WHERE id = 3`, [rows[1]?.at]);
        await b.exec(`UPDATE audit_log SET at = ?, message_sid = 'SMchain3', sender = '+84912345678' WHERE id = 2`, [rows[2]?.at]);
      },
      /audit row id 2 \(seal 2\) was reordered: its content is now at id 3/,
    ],
  ])('verify-audit exits 1 naming the first row changed by %s', async (_what, tamper, finding) => {
    expect(admin('audit-head').code).toBe(0);
    expect(admin('verify-audit').code).toBe(0);
    await b.dropTriggers();
    await tamper(b);
    const r = admin('verify-audit');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^audit log NOT intact: /);
    expect(r.stderr).toMatch(finding);
    // Sealing again does not hide it.
    expect(admin('audit-head').code).toBe(0);
    expect(admin('verify-audit').stderr).toMatch(finding);
  });

  it('after a prune the log still verifies, and a head published before it is still a prefix', () => {
    const published = admin('audit-head').stdout.trim();
    const prune = admin('prune-audit', '--older-than', '365d');
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(/removed 2 audit rows older than 365 days/);
    expect(prune.stdout).toMatch(/checkpoint 1: head at the cut 2:[0-9a-f]{64}/);
    const r = admin('verify-audit');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('6 records sealed (3 audit rows present, 2 pruned under checkpoints)');
    const extended = admin('verify-audit', '--head', published);
    expect(extended.code).toBe(0);
    expect(extended.stdout).toContain(`extends the published head ${published}`);
    const forged = admin(
      'verify-audit',
      '--head',
      published.replace(/:./, (m) => (m === ':0' ? ':1' : ':0')),
    );
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/does not extend the published head/);
  });

  it('refuses a malformed --head with exit 2', () => {
    const r = admin('verify-audit', '--head', 'abc');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--head takes a head as audit-head prints it/);
  });
});

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
])('the audit chain over delivery events on %s', (_name, makeBackend) => {
  let b: Backend;
  const admin = (...args: string[]) => runTool('admin', args, b.env);
  const event = (ref: string, at: number, status: string) => ({ at, ref, messageSid: `SMout-${ref}`, status, errorCode: null });

  // The oldest row's reply events are sealed before the newer rows come, as a running server seals them.
  beforeEach(async () => {
    b = await makeBackend();
    const store = await b.open();
    const [first, ...rest] = rows;
    if (first) await recordEntry(store, first);
    await store.recordDelivery(event('SMchain1', now - 400 * DAY + 1000, 'sent'));
    await store.recordDelivery(event('SMchain1', now - 400 * DAY + 2000, 'undelivered'));
    await store.sealAudit(now - 400 * DAY + 3000);
    for (const r of rest) await recordEntry(store, r);
    await store.recordDelivery(event('SMchain5', now - 10 * DAY + 1000, 'delivered'));
    await store.close();
  });
  afterEach(async () => {
    await b.cleanup();
  });

  it.each<[string, (b: Backend) => Promise<void>, RegExp]>([
    ['an UPDATE', (b) => b.exec(`UPDATE delivery_events SET status = 'delivered' WHERE id = 2`), /delivery event 2 \(seal 3\) was edited/],
    ['a DELETE', (b) => b.exec(`DELETE FROM delivery_events WHERE id = 1`), /delivery event 1 \(seal 2\) was deleted/],
    [
      'an INSERT of a back-dated event',
      (b) =>
        b.exec(
          `INSERT INTO delivery_events (at, ref, message_sid, status, error_code) VALUES (?, 'SMchain3', 'SMforged', 'delivered', NULL)`,
          [now - 15 * DAY],
        ),
      /delivery event 4 has no seal and is older than the last seal: it was inserted/,
    ],
  ])('verify-audit exits 1 naming a delivery event changed by %s', async (_what, tamper, finding) => {
    expect(admin('audit-head').code).toBe(0);
    const intact = admin('verify-audit');
    expect(intact.stdout).toContain('audit log intact: 8 records sealed (5 audit rows, 3 delivery events present)');
    await b.dropTriggers();
    await tamper(b);
    const r = admin('verify-audit');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(finding);
    expect(admin('audit-head').code).toBe(0);
    expect(admin('verify-audit').stderr).toMatch(finding);
  });

  it('a prune removes the pruned rows’ delivery events, sealed under its checkpoint, and the log still verifies', () => {
    const published = admin('audit-head').stdout.trim();
    const prune = admin('prune-audit', '--older-than', '365d');
    expect(prune.code).toBe(0);
    // Row 2 (390 days) is sealed after row 1's events: the cut covers them, and row 2 goes too.
    expect(prune.stdout).toMatch(/removed 2 audit rows older than 365 days/);
    expect(prune.stdout).toMatch(/checkpoint 1: head at the cut 4:[0-9a-f]{64}/);
    const r = admin('verify-audit');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('9 records sealed (3 audit rows, 1 delivery events present, 4 pruned under checkpoints)');
    expect(admin('verify-audit', '--head', published).code).toBe(0);
  });
});

describe('the audit chain in a SQLite backup', () => {
  it('verifies in the copy, and a change made in the copy is found there', async () => {
    const b = await sqliteBackend();
    try {
      const store = await b.open();
      for (const r of rows) await recordEntry(store, r);
      await store.close();
      const head = runTool('admin', ['audit-head'], b.env).stdout.trim();
      const copy = `${b.env.DATABASE_PATH ?? ''}.copy`;
      expect(runTool('admin', ['backup', copy], b.env).code).toBe(0);
      const r = runTool('admin', ['verify-audit', '--head', head], { DATABASE_PATH: copy });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('audit log intact: 5 records sealed');
      const db = new Database(copy);
      db.exec(`DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 4`);
      db.close();
      expect(runTool('admin', ['verify-audit'], { DATABASE_PATH: copy }).stderr).toMatch(/audit row id 4 \(seal 4\) was deleted/);
    } finally {
      await b.cleanup();
    }
  });
});
