/**
 * `npm run admin -- <command>`: officer and operator tools on the same database as the server.
 *   audit <id>                      one record's access history, with each reply's delivery
 *   report <id> [--out f] [--text]  the citizen's full access report (JSON, or plain text)
 *   report-schema                   the report's JSON Schema (docs/report-schema.json)
 *   prune-audit --older-than 365d   retention: delete audit rows older than the cut-off, leave a checkpoint
 *   audit-head                      seal what is committed, print the chain's head (to publish)
 *   verify-audit [--head <h>]       recompute the audit chain; with --head, prove it extends h
 *   backup <file>                   consistent online copy while the server runs (SQLite)
 *   restore <backup>                put a checked backup in place, the server stopped (SQLite)
 *   unlock <phone>                  lift a sender's lockout
 *   stats                           row counts
 * Works on the configured store (DATABASE_URL, else DATABASE_PATH). Exit codes: 0 done, 1 a backup
 * failed its integrity check (backup, restore) or verify-audit found the log changed, 2 usage, configuration or store errors (a store that cannot be
 * opened; `backup` on PostgreSQL, which is backed up with its own tools), 3 anything else.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TrailEntry } from '../store/types.js';
import { answerHelp, runCli, UsageError } from './run.js';

const USAGE = `usage: npm run admin -- <command>
  audit <id_number>                 print one record's access history, with deliveries
  report <id_number> [--out <file>] [--text]
                                    the citizen's full access report: JSON (default) or
                                    plain text (--text); to stdout, or a new file (--out)
  report-schema                     print the report's JSON Schema
  prune-audit --older-than <N>d     delete audit rows older than N days (retention)
  audit-head                        seal committed audit rows and print the chain's head
  verify-audit [--head <seq:hash>]  recompute the audit chain (and prove it extends a published head)
  backup <file>                     consistent copy of the live database (SQLite)
  restore <backup>                  replace the database with a checked backup; stop the server first (SQLite)
  unlock <phone>                    lift a sender's lockout
  stats                             row counts`;

// Help answers before the heavy modules load.
answerHelp(USAGE);
const { latestDelivery } = await import('../audit/delivery.js');
const { formatHead, parseHead } = await import('../audit/chain.js');
const { verifyAudit } = await import('../auditVerify.js');
const { buildAccessReport, reportText, vietnamTime } = await import('./report.js');
const { reportJsonSchema } = await import('./reportSchema.js');
const { isWellFormedIdNumber } = await import('../citizens/idNumber.js');
const { normalizeSender, normalizeVietnameseMobile } = await import('../citizens/phone.js');
const { isLocked, senderExpiresAt, unlocked } = await import('../audit/senders.js');
const { loadConfig, senderLimits } = await import('../config.js');
const { openStore } = await import('../store/open.js');
const { restoreSqliteBackup } = await import('../store/sqliteRestore.js');

const DAY_MS = 86_400_000;

/** The delivery of one access's reply as `admin audit` prints it. */
function deliveryColumn(e: TrailEntry): string {
  const shown = latestDelivery(e.deliveries);
  if (shown === undefined) return e.segments > 0 ? 'no receipt' : '-';
  const code = shown.errorCode === null ? '' : ` ${shown.errorCode}`;
  return `${shown.status}${code} (${e.deliveries.length} event${e.deliveries.length === 1 ? '' : 's'})`;
}

function idArgument(command: string, arg: string | undefined): string {
  const id = (arg ?? '').replace(/[\s.-]/g, '');
  if (!isWellFormedIdNumber(id)) throw new UsageError(`${command} takes a 12-digit ID number`);
  return id;
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
    options: {
      'older-than': { type: 'string' },
      head: { type: 'string' },
      out: { type: 'string' },
      text: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg, ...extra] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`too many arguments\n${USAGE}`);
  if (command !== 'report' && (values.out !== undefined || values.text))
    throw new UsageError(`--out and --text are options of report\n${USAGE}`);
  if (command === 'report-schema') {
    console.log(JSON.stringify(reportJsonSchema(), null, 2));
    return 0;
  }
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
        const id = idArgument('audit', arg);
        const trail = await store.auditTrail(id);
        const citizen = await store.findCitizen(id);
        console.log(`access history of ${id}${citizen ? '' : ' (no such record)'}: ${trail.length} message(s), Vietnam time`);
        for (const e of trail) {
          const who = citizen && e.sender === citizen.phone ? 'registered phone' : 'other number';
          console.log(
            `${vietnamTime(e.at)}  ${e.command.padEnd(5)} ${e.outcome.padEnd(12)} ${e.sender} (${who})  ${e.messageSid}  delivery: ${deliveryColumn(e)}`,
          );
        }
        return 0;
      }
      case 'report': {
        const id = idArgument('report', arg);
        if (values.out !== undefined && existsSync(values.out)) throw new UsageError(`${values.out} exists: choose a new file`);
        // Both reads see committed rows; an access recorded between them is in the trail only.
        const citizen = await store.findCitizen(id);
        const trail = await store.auditTrail(id);
        // Sealed after the trail was read: the head covers every row of the trail.
        const now = Date.now();
        const { head } = await store.sealAudit(now);
        const report = buildAccessReport({ idNumber: id, citizen, trail, config, now, auditHead: formatHead(head) });
        const output = values.text ? reportText(report) : `${JSON.stringify(report, null, 2)}\n`;
        if (values.out === undefined) {
          process.stdout.write(output);
        } else {
          writeFileSync(values.out, output, { mode: 0o600, flag: 'wx' });
          console.log(`report on ${id} written to ${values.out}: ${report.accesses.length} access(es)${citizen ? '' : ', no such record'}`);
        }
        return 0;
      }
      case 'prune-audit': {
        if (arg) throw new UsageError(`prune-audit takes no argument but --older-than\n${USAGE}`);
        const days = parseAge(values['older-than']);
        const cutoff = Date.now() - days * DAY_MS;
        const { removed, oldest, newest, checkpoint } = await store.pruneAudit(cutoff, Date.now());
        const range = oldest !== undefined && newest !== undefined ? `, from ${vietnamTime(oldest)} to ${vietnamTime(newest)}` : '';
        if (removed === 0) console.log(`removed 0 audit rows: none older than ${days} days (before ${vietnamTime(cutoff)})`);
        else console.log(`removed ${removed} audit rows older than ${days} days${range}`);
        if (checkpoint) {
          console.log(`checkpoint ${checkpoint.id}: head at the cut ${formatHead({ seq: checkpoint.cutSeq, hash: checkpoint.cutHead })}`);
        }
        return 0;
      }
      case 'audit-head': {
        if (arg) throw new UsageError(`audit-head takes no argument\n${USAGE}`);
        const { head } = await store.sealAudit(Date.now());
        console.log(formatHead(head));
        return 0;
      }
      case 'verify-audit': {
        if (arg) throw new UsageError(`verify-audit takes no argument but --head\n${USAGE}`);
        const text = values.head;
        const published = text === undefined ? undefined : parseHead(text);
        if (text !== undefined && !published) throw new UsageError('--head takes a head as audit-head prints it: <seq>:<64 hex digits>');
        const result = await verifyAudit(store, published);
        if (!result.ok) {
          console.error(`audit log NOT intact: ${result.finding}`);
          return 1;
        }
        const deliveries = result.deliveries > 0 ? `, ${result.deliveries} delivery events` : '';
        const pruned = result.pruned > 0 ? `, ${result.pruned} pruned under checkpoints` : '';
        const pending = result.pending > 0 ? `, ${result.pending} not sealed yet` : '';
        console.log(
          `audit log intact: ${result.sealed} records sealed (${result.rows} audit rows${deliveries} present${pruned})${pending}`,
        );
        if (result.extends) console.log(`extends the published head ${formatHead(result.extends)}`);
        console.log(`head ${formatHead(result.head)}`);
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
