// The admin command run as a process on a temporary database: audit trail, retention, unlock,
// and usage errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { EMPTY_SENDER } from '../../src/audit/senders.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { recordEntry } from '../../src/testing/audit.js';
import { auditEntry, citizen } from '../../src/testing/citizens.js';
import { runTool } from '../helpers/cli.js';

const DAY = 86_400_000;
let dir: string;
let db: string;

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => auditEntry({ at: Date.now(), ...over });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'admin-'));
  db = join(dir, 'c.db');
  const store = openSqliteStore(db);
  const seed = await store.beginSeed({ atomic: true });
  await seed.write([citizen()]);
  await seed.commit();
  await recordEntry(store, entry({ at: Date.now() - 400 * DAY, messageSid: 'SMold' }));
  await recordEntry(store, entry({ at: Date.now() - 500 * DAY, messageSid: 'SMolder', sender: '+84971234111', outcome: 'refused' }));
  await recordEntry(store, entry({ messageSid: 'SMnew', command: 'CC' }));
  const now = Date.now();
  const locked = { ...EMPTY_SENDER, failures: [now - 4, now - 3, now - 2, now - 1, now], lockedUntil: now + DAY };
  await store.updateSender('+84912345678', () => ({ state: locked, expiresAt: now + DAY }));
  await store.close();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const admin = (...args: string[]) => runTool('admin', args, { DATABASE_PATH: db });

describe('admin', () => {
  it('prints a record’s access history for an officer, oldest first', () => {
    const r = admin('audit', '001 099 054 321');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/001099054321: 3 message/);
    expect(lines[1]).toMatch(/TT\s+refused\s+\+84971234111 \(other number\)\s+SMolder/);
    expect(lines[3]).toMatch(/CC\s+served\s+\+84912345678 \(registered phone\)\s+SMnew/);
  });

  it('prunes audit rows older than the cut-off and says what it removed', () => {
    const r = admin('prune-audit', '--older-than', '365d');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed 2 audit rows older than 365 days, from \d{4}-\d\d-\d\d/);
    expect(admin('audit', '001099054321').stdout).toMatch(/1 message/);
    expect(admin('prune-audit', '--older-than', '365d').stdout).toMatch(/removed 0 audit rows/);
  });

  it('backs up to a new file and refuses to overwrite one', () => {
    const copy = join(dir, 'copy.db');
    expect(admin('backup', copy).stdout).toMatch(/integrity ok, 1 citizens, 3 audit rows/);
    const again = admin('backup', copy);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);
  });

  it('unlocks a locked sender and forgets the failures that locked them', async () => {
    expect(admin('unlock', '0912345678').stdout).toContain('unlocked +84912345678 (failed attempts forgotten)');
    expect(admin('unlock', '0912345678').stdout).toContain('was not locked');
    const store = openSqliteStore(db, { readonly: true });
    const state = await store.senderState('+84912345678');
    await store.close();
    expect(state).toMatchObject({ lockedUntil: null, failures: [] });
  });

  it.each([
    [['prune-audit'], /--older-than takes a number of days/],
    [['prune-audit', '--older-than', '1y'], /--older-than takes a number of days/],
    [['audit', '123'], /12-digit ID/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 on %j', (args, message) => {
    const r = admin(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
