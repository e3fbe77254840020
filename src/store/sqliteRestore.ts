/**
 * Puts a backup in place of the SQLite database, for `npm run admin -- restore <backup>`: refuses
 * while another process (the server) has the database open, checks the backup, keeps the current
 * file beside it, removes the stale `-wal` and `-shm` files that would otherwise be replayed over
 * the restored copy, and says what it did.
 */
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './migrations.js';
import { StoreOpenError } from './types.js';

/** What a restore did, or why it refused: `ok` false when the backup failed its checks (nothing changed). */
export interface RestoreResult {
  ok: boolean;
  /** One line each, for the operator. */
  lines: string[];
}

/** Findings of SQLite's full `integrity_check` of `file` (empty when it passes), its schema version and its counts. */
function checkBackup(file: string): { findings: string[]; version: number; citizens: number; audit: number } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('schema_version'); // reads the header: fails now on a file that is not a database
  } catch (err) {
    throw new StoreOpenError(`cannot read the backup ${file}: ${(err as Error).message}`);
  }
  try {
    let findings: string[];
    try {
      findings = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (err) {
      findings = [(err as Error).message]; // damage bad enough that the check itself stops
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    const count = (table: string) => {
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } catch {
        return -1;
      }
    };
    const ok = findings.length === 1 && findings[0] === 'ok';
    return { findings: ok ? [] : findings, version, citizens: count('citizens'), audit: count('audit_log') };
  } finally {
    db.close();
  }
}

/**
 * Whether another connection has `file` open: an exclusive lock cannot be had while any other
 * connection uses the WAL (each holds a lock on the shared-memory file as long as it is open).
 * Returns a note when the current file could not be read at all (a damaged file: nothing can hold it usefully).
 */
function refuseIfHeld(file: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
    return undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new StoreOpenError(
        `${file} is open in another process (the server, or a tool): stop it first (sudo systemctl stop citizen-sms), then restore`,
      );
    }
    return `the current database could not be read (${(err as Error).message})`;
  } finally {
    db?.close();
  }
}

/** `20261202T013000`: a UTC time stamp for a file name. */
const stamp = (now: number) => new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Restores `backup` as the database `target`. Throws {@link StoreOpenError} (one line) when it must not. */
export function restoreSqliteBackup(backup: string, target: string, now = Date.now()): RestoreResult {
  if (!existsSync(backup)) throw new StoreOpenError(`no backup at ${backup}`);
  const check = checkBackup(backup);
  const lines: string[] = [];
  if (check.findings.length > 0) {
    return { ok: false, lines: [`backup ${backup} fails its integrity check (${check.findings.slice(0, 3).join('; ')}): nothing changed`] };
  }
  if (check.version > SCHEMA_VERSION) {
    return {
      ok: false,
      lines: [`backup ${backup} has schema version ${check.version}, newer than this program's ${SCHEMA_VERSION}: nothing changed`],
    };
  }
  if (check.citizens < 0)
    return { ok: false, lines: [`backup ${backup} holds no citizens table: not a backup of this service, nothing changed`] };
  lines.push(`backup ${backup}: integrity ok, ${check.citizens} citizens, ${check.audit} audit rows, schema version ${check.version}`);

  const exists = existsSync(target);
  if (exists) {
    const note = refuseIfHeld(target);
    lines.push(note ?? `no process has ${target} open`);
  }
  // The copy is made beside the target, then renamed over it: the target is never half written.
  const copy = `${target}.restoring`;
  copyFileSync(backup, copy);
  chmodSync(copy, 0o600);
  fsyncPath(copy);
  if (exists) {
    const kept = `${target}.before-restore-${stamp(now)}`;
    renameSync(target, kept);
    lines.push(`moved the current database to ${kept} (delete it once the restore is checked)`);
  }
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const stale = `${target}${suffix}`;
    if (!existsSync(stale)) continue;
    const bytes = statSync(stale).size;
    rmSync(stale);
    lines.push(`removed the stale ${basename(stale)} (${bytes} bytes), left by the database it replaces`);
  }
  renameSync(copy, target);
  fsyncPath(dirname(target));
  lines.push(`restored ${target} from ${backup} (mode 0600): start the service again (sudo systemctl start citizen-sms)`);
  return { ok: true, lines };
}
