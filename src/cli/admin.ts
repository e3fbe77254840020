/**
 * `npm run admin -- <command>`: officer and operator tools on the same database as the server.
 *   audit <id>                      one record's access history
 *   prune-audit --older-than 365d   retention: delete audit rows older than the cut-off
 *   backup <file>                   consistent online copy while the server runs (SQLite)
 *   restore <backup>                put a checked backup in place, the server stopped (SQLite)
 *   unlock <phone>                  lift a sender's lockout
 *   stats                           row counts
 * Works on the configured store (DATABASE_URL, else DATABASE_PATH). Exit codes: 0 done, 1 a backup
 * failed its integrity check (backup, restore), 2 usage, configuration or store errors (a store that cannot be
 * opened; `backup` on PostgreSQL, which is backed up with its own tools), 3 anything else.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { answerHelp, runCli, UsageError } from './run.js';

const USAGE = `usage: npm run admin -- <command>
  audit <id_number>                 print one record's access history
  prune-audit --older-than <N>d     delete audit rows older than N days (retention)
  backup <file>                     consistent copy of the live database (SQLite)
  restore <backup>                  replace the database with a checked backup; stop the server first (SQLite)
  unlock <phone>                    lift a sender's lockout
  stats                             row counts`;

// Help answers before the heavy modules load.
answerHelp(USAGE);
const { VIETNAM_OFFSET_MS } = await import('../citizens/dates.js');
const { isWellFormedIdNumber } = await import('../citizens/idNumber.js');
const { normalizeSender, normalizeVietnameseMobile } = await import('../citizens/phone.js');
const { isLocked, senderExpiresAt, unlocked } = await import('../audit/senders.js');
const { loadConfig, senderLimits } = await import('../config.js');
const { openStore } = await import('../store/open.js');
const { restoreSqliteBackup } = await import('../store/sqliteRestore.js');

const DAY_MS = 86_400_000;

/** Vietnam time (UTC+7) as `YYYY-MM-DD HH:MM:SS`. */
function vietnamTime(ms: number): string {
  return new Date(ms + VIETNAM_OFFSET_MS).toISOString().replace('T', ' ').slice(0, 19);
}

function parseAge(text: string | undefined): number {
  const match = /^(\d+)d$/.exec(text ?? '');
  if (!match) throw new UsageError('--older-than takes a number of days, such as 365d');
  const days = Number(match[1]);
  if (days < 1) throw new UsageError('--older-than must be at least 1d');
  return days;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'older-than': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  const [command, arg, ...extra] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`too many arguments\n${USAGE}`);
  const config = loadConfig(process.env, { forTool: true });
  if (command === 'restore') {
    if (!arg) throw new UsageError('restore takes the backup file to put in place');
    if (config.databaseUrl !== undefined) throw new UsageError('restore is for SQLite: restore PostgreSQL with pg_restore');
    const { ok, lines } = restoreSqliteBackup(arg, config.databasePath);
    for (const line of lines) console.log(line);
    return ok ? 0 : 1;
  }
  const store = await openStore(config, { mustExist: true });
  try {
    switch (command) {
      case 'audit': {
        const id = (arg ?? '').replace(/[\s.-]/g, '');
        if (!isWellFormedIdNumber(id)) throw new UsageError('audit takes a 12-digit ID number');
        const trail = await store.auditTrail(id);
        const citizen = await store.findCitizen(id);
        console.log(`access history of ${id}${citizen ? '' : ' (no such record)'}: ${trail.length} message(s), Vietnam time`);
        for (const e of trail) {
          const who = citizen && e.sender === citizen.phone ? 'registered phone' : 'other number';
          console.log(`${vietnamTime(e.at)}  ${e.command.padEnd(5)} ${e.outcome.padEnd(12)} ${e.sender} (${who})  ${e.messageSid}`);
        }
        return 0;
      }
      case 'prune-audit': {
        if (arg) throw new UsageError(`prune-audit takes no argument but --older-than\n${USAGE}`);
        const days = parseAge(values['older-than']);
        const cutoff = Date.now() - days * DAY_MS;
        const { removed, oldest, newest } = await store.pruneAudit(cutoff);
        const range = oldest !== undefined && newest !== undefined ? `, from ${vietnamTime(oldest)} to ${vietnamTime(newest)}` : '';
        if (removed === 0) console.log(`removed 0 audit rows: none older than ${days} days (before ${vietnamTime(cutoff)})`);
        else console.log(`removed ${removed} audit rows older than ${days} days${range}`);
        return 0;
      }
      case 'backup': {
        if (!arg) throw new UsageError('backup takes the file to write');
        if (existsSync(arg)) throw new UsageError(`${arg} exists: choose a new file`);
        const now = Date.now();
        await store.backup(arg, { now, repliesBefore: now - config.replyRetentionMs });
        const copy = await openStore({ databasePath: arg, databaseUrl: undefined, databasePoolSize: 1 }, { readonly: true });
        const findings = await copy.checkIntegrity();
        const counts = await copy.counts();
        await copy.close();
        const check = findings.length === 0 ? 'ok' : findings.join('; ');
        console.log(`backup written to ${arg}: integrity ${check}, ${counts.citizens} citizens, ${counts.auditLog} audit rows`);
        return findings.length === 0 ? 0 : 1;
      }
      case 'unlock': {
        const phone = normalizeVietnameseMobile(arg ?? '');
        const sender = phone.ok ? phone.value : normalizeSender(arg ?? '')?.e164;
        if (!sender) throw new UsageError('unlock takes a phone number');
        const limits = senderLimits(config);
        const changed = await store.updateSender(sender, (state) => {
          if (!isLocked(state, Date.now()) && state.failures.length === 0) return undefined;
          const next = unlocked(state);
          return { state: next, expiresAt: senderExpiresAt(next, limits) };
        });
        console.log(changed ? `unlocked ${sender} (failed attempts forgotten)` : `${sender} was not locked`);
        return 0;
      }
      case 'stats': {
        const counts = await store.counts();
        console.log(`citizens ${counts.citizens}, audit rows ${counts.auditLog}, database ${await store.sizeBytes()} bytes`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } finally {
    await store.close();
  }
}

await runCli(main, { script: 'admin', options: ['older-than'] });
