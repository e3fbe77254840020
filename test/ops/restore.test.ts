// `admin restore <backup>`: refuses while the server has the database open, refuses a damaged
// backup without changing anything, and otherwise puts the backup in place, keeps the old file,
// removes stale -wal and -shm files and says so; the server then starts on the restored data.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { damagePage, exitWithin, runTool, seedFake, serverEnv, startServer, tempDir } from './proc.js';

let dir: string;
let cleanup: () => void;
let db: string;
let backup: string;
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('ops-restore-'));
  db = join(dir, 'live.db');
  backup = join(dir, 'backup.db');
  await seedFake(db, 2_000);
  const made = await runTool('admin', ['backup', backup], { DATABASE_PATH: db });
  if (made.code !== 0) throw new Error(made.stderr);
});
afterEach(() => {
  cleanup();
});

const restore = (file: string) => runTool('admin', ['restore', file], { DATABASE_PATH: db });
const citizens = (file: string) => {
  const d = new Database(file, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM citizens').pluck().get();
  } finally {
    d.close();
  }
};

describe('admin restore', () => {
  it('refuses while the server has the database open, and changes nothing', async () => {
    const server = await startServer(serverEnv(db));
    try {
      const r = await restore(backup);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `error: ${db} is open in another process (the server, or a tool): stop it first (sudo systemctl stop citizen-sms), then restore`,
      );
      expect(r.stdout).not.toContain('restored');
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      server.proc.kill('SIGTERM');
      await exitWithin(server.exited, 15_000);
    }
    expect(existsSync(`${db}.restoring`)).toBe(false);
  });

  it('refuses a damaged backup with exit 1 and changes nothing', async () => {
    damagePage(backup);
    const before = statSync(db).mtimeMs;
    const r = await restore(backup);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(new RegExp(`^backup ${backup} fails its integrity check \\(.+\\): nothing changed$`));
    expect(statSync(db).mtimeMs).toBe(before);
  });

  it('replaces a damaged database, removes its stale -wal and -shm, and the server starts on the backup', async () => {
    writeFileSync(db, 'garbage where the database was '.repeat(300));
    writeFileSync(`${db}-wal`, Buffer.alloc(8192, 7));
    writeFileSync(`${db}-shm`, Buffer.alloc(32768, 1));
    const r = await restore(backup);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^backup ${backup}: integrity ok, 2000 citizens, \\d+ audit rows, schema version \\d+$`));
    expect(lines[1]).toMatch(/^the current database could not be read \(.+\)$/);
    expect(lines[2]).toMatch(
      new RegExp(`^moved the current database to ${db}\\.before-restore-\\d{8}T\\d{6} \\(delete it once the restore is checked\\)$`),
    );
    // SQLite itself drops a -wal that is not one when it opens the file; what is left, the restore removes.
    expect(lines).toContain('removed the stale live.db-shm (32768 bytes), left by the database it replaces');
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}-shm`)).toBe(false);
    expect(lines.at(-1)).toBe(`restored ${db} from ${backup} (mode 0600): start the service again (sudo systemctl start citizen-sms)`);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(citizens(db)).toBe(2000);
    const server = await startServer(serverEnv(db));
    try {
      expect(await (await fetch(`${server.url}/readyz`)).text()).toBe('ready');
    } finally {
      server.proc.kill('SIGTERM');
      await exitWithin(server.exited, 15_000);
    }
  });

  it('restores over a healthy database that no process holds, keeping the old file', async () => {
    const r = await restore(backup);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`no process has ${db} open`);
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(citizens(db)).toBe(2000);
  });

  it('is a usage error without a file, and refuses a missing backup', async () => {
    expect((await runTool('admin', ['restore'], { DATABASE_PATH: db })).code).toBe(2);
    const r = await restore(join(dir, 'nope.db'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: no backup at ${join(dir, 'nope.db')}`);
  });
});
