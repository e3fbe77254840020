// The seed and admin commands run as processes against PostgreSQL (DATABASE_URL), each test on a
// fresh database of the run's server: loading, strict and --skip-invalid modes, audit, retention,
// unlock, stats, backup refused, and the one-line errors for a bad or unreachable database.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SENDER } from '../../src/audit/senders.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { freePort } from '../../src/testing/embeddedPostgres.js';
import { recordEntry } from '../../src/testing/audit.js';
import { auditEntry, citizen } from '../../src/testing/citizens.js';
import { fakeCsvChunks } from '../../src/seeding/fake.js';
import { runTool } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';

const HEADER = 'id_number,full_name,date_of_birth,sex,phone,permanent_address';
const GOOD_1 = '001085023456,Nguyễn Văn An,1985-11-02,Nam,0912 345 678,"Số 12 Láng Hạ, Hà Nội"';
const GOOD_2 = '079305056789,Lê Thị Chi,20/08/2005,Nữ,01662345678,"Nhà ""Hạnh Phúc"" & <Tầng 2>"';
const BAD_ID = '001085999,Trần Văn Sai,1985-01-01,Nam,0912 000 111,';
const DAY = 86_400_000;

let dir: string;
let db: TestDatabase;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-pg-'));
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
// DATABASE_PATH is set too: DATABASE_URL wins, and no SQLite file is created.
const env = () => ({ DATABASE_URL: db.url, DATABASE_PATH: join(dir, 'unused.db') });
const seed = (...args: string[]) => runTool('seed', args, env());
const admin = (...args: string[]) => runTool('admin', args, env());
const citizens = () => db.sql<{ id_number: string; phone: string; permanent_address: string }>('SELECT * FROM citizens ORDER BY id_number');

describe('seed with DATABASE_URL', () => {
  it('loads a valid CSV, then updates it on a second run, into PostgreSQL only', async () => {
    const csv = file('ok.csv', [HEADER, GOOD_1, GOOD_2, ''].join('\n'));
    const r = seed(csv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inserted 2, updated 0, rejected 0');
    expect(await citizens()).toMatchObject([
      { id_number: '001085023456', phone: '+84912345678' },
      { id_number: '079305056789', phone: '+84362345678', permanent_address: 'Nhà "Hạnh Phúc" & <Tầng 2>' },
    ]);
    expect(seed(csv).stdout).toContain('inserted 0, updated 2, rejected 0');
    expect(existsSync(join(dir, 'unused.db'))).toBe(false);
  });

  it('is all-or-nothing by default and commits the valid rows with --skip-invalid, exiting 1 both times', async () => {
    const bad = file('bad.csv', [HEADER, GOOD_1, BAD_ID, GOOD_2].join('\n'));
    const strict = seed(bad);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/^line 3: id_number: .+$/m);
    expect(strict.stdout).toContain('nothing written');
    expect(await citizens()).toEqual([]);
    const lenient = seed(bad, '--skip-invalid');
    expect(lenient.code).toBe(1);
    expect(lenient.stdout).toContain('inserted 2, updated 0, rejected 1');
    expect(await citizens()).toHaveLength(2);
  });

  it('loads fake records', async () => {
    const r = seed('--fake', '12000');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inserted 12000, updated 0, rejected 0');
    expect(await db.sql('SELECT 1 FROM citizens')).toHaveLength(12000);
  });
});

describe('admin with DATABASE_URL', () => {
  const entry = (over: Partial<AuditEntry> = {}): AuditEntry => auditEntry({ at: Date.now(), ...over });
  beforeEach(async () => {
    const store = await openPostgresStore(db.url);
    try {
      const s = await store.beginSeed({ atomic: true });
      await s.write([citizen()]);
      await s.commit();
      await recordEntry(store, entry({ at: Date.now() - 400 * DAY, messageSid: 'SMold' }));
      await recordEntry(store, entry({ at: Date.now() - 500 * DAY, messageSid: 'SMolder', sender: '+84971234111', outcome: 'refused' }));
      await recordEntry(store, entry({ messageSid: 'SMnew', command: 'CC' }));
      const now = Date.now();
      const locked = { ...EMPTY_SENDER, failures: [now - 4, now - 3, now - 2, now - 1, now], lockedUntil: now + DAY };
      await store.updateSender('+84912345678', () => ({ state: locked, expiresAt: now + DAY }));
    } finally {
      await store.close();
    }
  });

  it('prints a record’s access history, prunes old rows, and reports stats', () => {
    const audit = admin('audit', '001 099 054 321');
    expect(audit.code).toBe(0);
    const lines = audit.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/001099054321: 3 message/);
    expect(lines[1]).toMatch(/TT\s+refused\s+\+84971234111 \(other number\)\s+SMolder/);
    expect(lines[3]).toMatch(/CC\s+served\s+\+84912345678 \(registered phone\)\s+SMnew/);
    const prune = admin('prune-audit', '--older-than', '365d');
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(/removed 2 audit rows older than 365 days, from \d{4}-\d\d-\d\d/);
    expect(admin('prune-audit', '--older-than', '365d').stdout).toMatch(/removed 0 audit rows/);
    const stats = admin('stats');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^citizens 1, audit rows 1, database \d+ bytes$/m);
  });

  it('unlocks a locked sender', async () => {
    expect(admin('unlock', '0912345678').stdout).toContain('unlocked +84912345678 (failed attempts forgotten)');
    expect(admin('unlock', '0912345678').stdout).toContain('was not locked');
    const store = await openPostgresStore(db.url);
    try {
      expect(await store.senderState('+84912345678')).toMatchObject({ lockedUntil: null, failures: [] });
    } finally {
      await store.close();
    }
  });

  it('refuses a backup in one line, exit 2, and writes no file', () => {
    const target = join(dir, 'copy.db');
    const r = admin('backup', target);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: PostgreSQL is backed up with its own tools \(pg_dump, [^\n]+docs\/deploy\.md\n$/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('a database that cannot be used', () => {
  it('exits 2 with one line, without the password, for an unreachable server and for a malformed URL', async () => {
    const port = await freePort();
    const down = `postgres://sms:Sup3r-Secret@127.0.0.1:${port}/citizens`;
    for (const r of [runTool('seed', ['--fake', '1'], { DATABASE_URL: down }), runTool('admin', ['stats'], { DATABASE_URL: down })]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^error: cannot open the database PostgreSQL 127\\.0\\.0\\.1:${port}/citizens: [^\\n]*ECONNREFUSED[^\\n]*\\n$`),
      );
      expect(r.stderr + r.stdout).not.toContain('Sup3r-Secret');
    }
    // A file's parse starts before the store opens: the command still ends (a parse thread keeping
    // the process alive is killed by runTool's timeout, with no exit code).
    const csv = file('big.csv', [...fakeCsvChunks(50_000)].join(''));
    const fromFile = runTool('seed', [csv], { DATABASE_URL: down });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/^error: cannot open the database PostgreSQL [^\n]*ECONNREFUSED[^\n]*\n$/);
    expect(fromFile.stdout).toBe('');
    const malformed = runTool('admin', ['stats'], { DATABASE_URL: 'postgres//sms:Sup3r-Secret@db.example.vn/citizens' });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^error: Invalid setting DATABASE_URL: [^\n]+\n$/);
    expect(malformed.stderr).not.toContain('Sup3r-Secret');
  });
});
