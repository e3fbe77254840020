import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry } from '../testing/audit.js';
import { auditEntry } from '../testing/citizens.js';
import { PROJECT_ROOT } from '../paths.js';
import { startCheckpointer, type CheckpointResult } from './checkpointer.js';
import { openSqliteStore } from './sqlite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Audit rows in a copy of the database file alone, without its WAL: what checkpoints have copied into it. */
function auditRowsInFileAlone(file: string): number {
  const copy = join(dir, 'alone.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  copyFileSync(file, copy);
  const db = new Database(copy);
  try {
    return db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck().get() ?? 0;
  } catch {
    return 0; // the table itself is not in the file yet, or the copy caught a page being written
  } finally {
    db.close();
  }
}

describe('background checkpointer', () => {
  it('copies the committed WAL into the database file off the main thread', async () => {
    const file = join(dir, 'c.db');
    const seen: CheckpointResult[] = [];
    const errors: string[] = [];
    let allCopied!: () => void;
    const copied = new Promise<void>((resolve) => (allCopied = resolve));
    const store = openSqliteStore(file, {
      backgroundCheckpoint: {
        intervalMs: 10,
        onCheckpoint: (r) => {
          seen.push(r);
          if (r.checkpointed === r.log) allCopied();
        },
        onError: (m) => errors.push(m),
      },
    });
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const sizeBefore = statSync(file).size;
    const record = (from: number, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          recordEntry(store, auditEntry({ messageSid: `SM${from + i}`, at: from + i }), 'x'.repeat(500)),
        ),
      );
    // Every committed row reaches the database file itself, not only the WAL, and again for the
    // commits after the first checkpoints.
    await record(0, 100);
    await expect.poll(() => auditRowsInFileAlone(file), { timeout: 10_000, interval: 20 }).toBe(100);
    await record(100, 100);
    await expect.poll(() => auditRowsInFileAlone(file), { timeout: 10_000, interval: 20 }).toBe(200);
    await copied;
    // Reported only for checkpoints that copied frames (none while idle for 5 more intervals).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const notCopying = seen.filter((r, i) => r.checkpointed <= 0 || r.checkpointed > r.log || r.checkpointed === seen[i - 1]?.checkpointed);
    expect(notCopying).toEqual([]);
    expect(statSync(file).size).toBeGreaterThan(sizeBefore);
    await store.close();
    expect(errors).toEqual([]);
    const reopened = openSqliteStore(file);
    expect((await reopened.counts()).auditLog).toBe(200);
    await reopened.close();
  });

  it('reports a database it cannot open, and stops', async () => {
    const errors: string[] = [];
    let failed!: () => void;
    const reported = new Promise<void>((resolve) => (failed = resolve));
    const checkpointer = startCheckpointer(join(dir, 'missing.db'), {
      intervalMs: 10,
      onError: (m) => {
        errors.push(m);
        if (m === 'checkpoint worker stopped') failed();
      },
    });
    await reported;
    expect(errors[0]).toMatch(/^cannot open the database: /);
    expect(errors).toHaveLength(2);
    await checkpointer.stop();
  });

  it('keeps the process alive until it has stopped, so the code after close() runs', () => {
    // The worker is unreferenced while it runs; if stop() left it so, a process whose only work
    // left is awaiting close() would exit before the next line (seen: a lost "stopped" log line).
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(join(PROJECT_ROOT, 'dist', 'src', 'store', 'sqlite.js'))});
      const store = openSqliteStore(${JSON.stringify(join(dir, 'e.db'))}, { backgroundCheckpoint: { intervalMs: 5 } });
      await store.admit({ at: 1, messageSid: 'SM1', sender: '+84912345678', tracked: false, targetId: null }, () => ({ command: 'HELP', outcome: 'help', segments: 0, twiml: 'x' }));
      await store.close();
      process.stdout.write('after close');`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('after close');
    expect(run.status).toBe(0);
  });

  it('is not started for a store opened without it (the command-line tools)', async () => {
    const store = openSqliteStore(join(dir, 'd.db'));
    expect(store.checkpointer).toBeUndefined();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await store.close();
  });
});
