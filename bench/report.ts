/** The benchmark's report: number formats, tables, the targets and whether each is met. */
import type { BenchOptions } from './options.js';
import type { SeedingResult } from './seeding.js';
import type { TableSize } from './postgres.js';
import type { WebhookResult, WebhookSide } from './webhook.js';

/** Sizes on disk after the run, for the sizing table. */
export interface Sizes {
  /** The SQLite file after seeding N records. */
  sqliteBytes: number;
  /** PostgreSQL's audit tables after the webhook half (with `--store postgres`). */
  auditSizes: TableSize[] | undefined;
}

/** The benchmark's targets (on the 2-core development machine). */
export const TARGETS = {
  webhookThroughputRatio: 0.75,
  webhookNoRegressionRatio: 0.4,
  webhookFloorRatio: 0.85,
  postgresVsSqliteRatio: 0.4,
  postgresSeedingRatio: 0.8,
  webhookP99Ratio: 2,
  serverPeakRssMiB: 150,
  serverRssRecords: 1_000_000,
  seedingRatio: 1,
  seedingPeakRssMiB: 300,
};

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pad = (s: string, width: number) => (s.length >= width ? s : ' '.repeat(width - s.length) + s);
const padEnd = (s: string, width: number) => (s.length >= width ? s : s + ' '.repeat(width - s.length));

export function table(rows: string[][], alignLeft = 1): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < alignLeft ? padEnd(cell, widths[c] ?? 0) : pad(cell, widths[c] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface Environment {
  date: string;
  cpu: string;
  nproc: number;
  totalMemoryMiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export interface Target {
  target: string;
  value: string;
  pass: boolean;
}

export function targetsOf(options: BenchOptions, seeding: SeedingResult | undefined, webhook: WebhookResult | undefined): Target[] {
  const targets: Target[] = [];
  if (webhook) {
    const rssNote =
      options.records >= TARGETS.serverRssRecords
        ? ''
        : ` (stated for ${fmtInt(TARGETS.serverRssRecords)} records; this run: ${fmtInt(options.records)})`;
    targets.push(
      {
        target: `webhook throughput >= ${TARGETS.webhookThroughputRatio} x bare`,
        value: `${fmt(webhook.throughputRatio)} x`,
        pass: webhook.throughputRatio >= TARGETS.webhookThroughputRatio,
      },
      {
        target: `webhook on SQLite does not regress: >= ${TARGETS.webhookNoRegressionRatio} x bare`,
        value: `${fmt(webhook.throughputRatio)} x`,
        pass: webhook.throughputRatio >= TARGETS.webhookNoRegressionRatio,
      },
      {
        target: `webhook throughput >= ${TARGETS.webhookFloorRatio} x the floor`,
        value: `${fmt(webhook.floorRatio)} x`,
        pass: webhook.floorRatio >= TARGETS.webhookFloorRatio,
      },
      {
        target: `webhook p99 <= ${TARGETS.webhookP99Ratio} x bare p99`,
        value: `${fmt(webhook.p99Ratio)} x`,
        pass: webhook.p99Ratio <= TARGETS.webhookP99Ratio,
      },
      {
        target: `server peak RSS <= ${TARGETS.serverPeakRssMiB} MiB${rssNote}`,
        value: `${fmt(webhook.real.peakRssMiB, 0)} MiB`,
        pass: webhook.real.peakRssMiB <= TARGETS.serverPeakRssMiB,
      },
    );
    if (webhook.pg1 && webhook.pg2) {
      const ratio = webhook.pg1.requestsPerSecond / webhook.real.requestsPerSecond;
      targets.push(
        {
          target: `PostgreSQL, 1 node >= ${TARGETS.postgresVsSqliteRatio} x SQLite`,
          value: `${fmt(ratio)} x`,
          pass: ratio >= TARGETS.postgresVsSqliteRatio,
        },
        {
          target: `PostgreSQL node peak RSS <= ${TARGETS.serverPeakRssMiB} MiB${rssNote}`,
          value: `${fmt(webhook.pg2.peakRssMiB, 0)} MiB`,
          pass: webhook.pg2.peakRssMiB <= TARGETS.serverPeakRssMiB,
        },
      );
    }
  }
  if (seeding) {
    targets.push(
      {
        target: `seeding >= ${TARGETS.seedingRatio} x bare insert loop`,
        value: `${fmt(seeding.ratio)} x`,
        pass: seeding.ratio >= TARGETS.seedingRatio,
      },
      {
        target: `seeding peak RSS < ${TARGETS.seedingPeakRssMiB} MiB`,
        value: `${fmt(seeding.projectPeakRssMiB, 0)} MiB`,
        pass: seeding.projectPeakRssMiB < TARGETS.seedingPeakRssMiB,
      },
    );
    if (seeding.postgres) {
      targets.push({
        target: `PostgreSQL seeding >= ${TARGETS.postgresSeedingRatio} x bare COPY`,
        value: `${fmt(seeding.postgres.ratio)} x`,
        pass: seeding.postgres.ratio >= TARGETS.postgresSeedingRatio,
      });
    }
  }
  return targets;
}

export function report(
  environment: Environment,
  options: BenchOptions,
  seeding: SeedingResult | undefined,
  webhook: WebhookResult | undefined,
  targets: Target[],
  sizes: Sizes,
): string {
  const { records, rounds, duration, connections } = options;
  const out: string[] = ['', '='.repeat(100), 'RESULTS', '='.repeat(100)];
  out.push(
    `date ${environment.date}; ${environment.cpu}; nproc ${environment.nproc}; ${fmtInt(environment.totalMemoryMiB)} MiB RAM; node ${environment.node}`,
  );
  out.push(
    `N = ${fmtInt(records)} records; seeding: best of ${rounds} run(s) per side; webhook: median of ${rounds} round(s) of ${duration} s per side, A B alternating, ${connections} connections`,
  );
  if (seeding) {
    out.push('');
    out.push(
      table([
        ['seeding (CSV, random key order)', 'seconds', 'rows/s', 'peak RSS MiB'],
        [
          'project: seed CLI (validation, upsert)',
          fmt(seeding.project.seconds),
          fmtInt(seeding.project.rowsPerSecond),
          fmt(seeding.projectPeakRssMiB, 0),
        ],
        ['bare better-sqlite3 insert loop', fmt(seeding.bare.seconds), fmtInt(seeding.bare.rowsPerSecond), fmt(seeding.barePeakRssMiB, 0)],
        ['ratio project / bare', '', `${fmt(seeding.ratio)} x`, ''],
        ...(seeding.postgres
          ? [
              [
                'project on PostgreSQL: seed CLI (COPY)',
                fmt(seeding.postgres.project.seconds),
                fmtInt(seeding.postgres.project.rowsPerSecond),
                fmt(seeding.postgres.projectPeakRssMiB, 0),
              ],
              [
                'bare COPY of the CSV file',
                fmt(seeding.postgres.bare.seconds),
                fmtInt(seeding.postgres.bare.rowsPerSecond),
                fmt(seeding.postgres.bare.peakRssMiB, 0),
              ],
              ['ratio project / bare COPY', '', `${fmt(seeding.postgres.ratio)} x`, ''],
            ]
          : []),
      ]),
    );
  }
  if (webhook) {
    const { real, bare, floor } = webhook;
    const row = (label: string, side: WebhookSide) => [
      label,
      fmtInt(side.requestsPerSecond),
      fmt(side.p50ms),
      fmt(side.p99ms),
      fmt(side.peakRssMiB, 0),
      fmtInt(side.cpuPerRequestUs),
      side.cpuByProcess.map((p) => `${fmt(p.use * 100, 0)}%`).join(' + '),
    ];
    const ratio = (label: string, a: WebhookSide, b: WebhookSide) => [
      label,
      `${fmt(a.requestsPerSecond / b.requestsPerSecond)} x`,
      `${fmt(a.p50ms / b.p50ms)} x`,
      `${fmt(a.p99ms / b.p99ms)} x`,
      '',
      `${fmt(a.cpuPerRequestUs / b.cpuPerRequestUs)} x`,
    ];
    const { pg1, pg2 } = webhook;
    out.push('');
    out.push(
      table([
        ['webhook POST /sms', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU us/req', 'CPU use'],
        row('real server (TT lookups)', real),
        ...(pg1 && pg2 ? [row('real server on PostgreSQL, 1 node', pg1), row('real server on PostgreSQL, 2 nodes', pg2)] : []),
        row('floor (least work, same guarantees)', floor),
        ...(webhook.receipts
          ? [
              [
                'receipts POST /sms/status (delivered)',
                fmtInt(webhook.receipts.round.requestsPerSecond),
                fmt(webhook.receipts.round.p50ms),
                fmt(webhook.receipts.round.p99ms),
                '',
                fmtInt(webhook.receipts.round.serverCpuPerRequestUs),
                `${fmt(webhook.receipts.round.serverCpuUse * 100, 0)}%`,
              ],
            ]
          : []),
        row('bare Express 5 handler', bare),
        ratio('ratio real / bare', real, bare),
        ratio('ratio real / floor', real, floor),
        ratio('ratio floor / bare', floor, bare),
        ...(pg1 && pg2 ? [ratio('ratio PostgreSQL 1 node / SQLite', pg1, real), ratio('ratio PostgreSQL 2 nodes / 1 node', pg2, pg1)] : []),
      ]),
    );
    out.push(
      '  CPU use: per second of load, each process of the side (node processes, then PostgreSQL with all its backends); ' +
        'CPU us/req counts them all.',
    );
    const { sqlite, postgres } = webhook.statements;
    out.push('');
    out.push(
      table([
        ['per message (counting run)', 'messages', 'statements', 'commits', 'round trips'],
        ['SQLite', fmtInt(sqlite.messages), fmt(sqlite.statementsPerMessage), fmt(sqlite.commitsPerMessage), '0 (in process)'],
        ...(postgres
          ? [
              [
                'PostgreSQL',
                fmtInt(postgres.messages),
                fmt(postgres.statementsPerMessage),
                fmt(postgres.commitsPerMessage),
                fmt(postgres.roundTripsPerMessage),
              ],
            ]
          : []),
      ]),
    );
    out.push('  statements: SQLite statement runs and exec calls (BEGIN and COMMIT of a group commit included); PostgreSQL queries sent.');
  }
  out.push('');
  out.push(sizingTable(options.records, sizes, seeding));
  out.push('');
  out.push(table([['target', 'measured', ''], ...targets.map((t) => [t.target, t.value, t.pass ? 'PASS' : 'MISS'])]));
  if (webhook) {
    out.push('');
    out.push(
      `replies checked: ${fmtInt(webhook.verifiedLookups)} real lookups verified (200, the citizen's name in the reply), ` +
        `${fmtInt(webhook.wrongReplies)} wrong; bare: ${fmtInt(webhook.bareReplies)} fixed replies; ` +
        `audit log: ${fmtInt(webhook.servedInAudit)} served, ${fmtInt(webhook.otherInAudit)} other` +
        (webhook.receipts
          ? `; receipts: ${fmtInt(webhook.receipts.round.verified)} callbacks answered 204, ${fmtInt(webhook.receipts.eventsInDb)} delivery events recorded`
          : '') +
        (webhook.pgServedInAudit === undefined
          ? ''
          : `; PostgreSQL: ${fmtInt(webhook.pgVerifiedLookups ?? 0)} verified, audit log ${fmtInt(webhook.pgServedInAudit)} served`),
    );
    const { profile } = webhook;
    if (profile) {
      out.push(
        '',
        `real server CPU profile ${profile.file}: top self time (${fmt(profile.busyMs / 1000, 1)} s busy of ${fmt(profile.totalMs / 1000, 1)} s):`,
      );
      out.push(
        table(
          [['function', 'where', 'ms', '% busy'], ...profile.functions.map((f) => [f.name, f.where, fmtInt(f.ms), fmt(f.share * 100, 1)])],
          2,
        ),
      );
      out.push('', 'the same busy time by area:');
      out.push(table([['area', 'ms', '% busy'], ...profile.areas.map((a) => [a.area, fmtInt(a.ms), fmt(a.share * 100, 1)])], 1));
    }
  }
  return out.join('\n');
}

const GiB = 1024 ** 3;
const PROJECTED_RECORDS = 100_000_000;

/** Bytes on disk measured at N records, per record, and projected to 100 million (linear). */
function sizingTable(records: number, sizes: Sizes, seeding: SeedingResult | undefined): string {
  const rows: string[][] = [['on disk', `at ${fmtInt(records)}`, 'per row', `at ${fmtInt(PROJECTED_RECORDS)} rows`]];
  const add = (label: string, bytes: number, count: number) => {
    const perRow = bytes / count;
    rows.push([label, `${fmt(bytes / (1024 * 1024), 1)} MiB`, `${fmtInt(perRow)} B`, `${fmt((perRow * PROJECTED_RECORDS) / GiB, 1)} GiB`]);
  };
  add('SQLite file (citizens, after seeding)', sizes.sqliteBytes, records);
  const pg = seeding?.postgres;
  if (pg) {
    for (const t of pg.sizes) {
      add(`PostgreSQL ${t.table} table`, t.tableBytes, t.rows);
      add(`PostgreSQL ${t.table} indexes`, t.indexBytes, t.rows);
    }
    const seconds = (pg.project.seconds / records) * PROJECTED_RECORDS;
    rows.push(['PostgreSQL seed time (project)', `${fmt(pg.project.seconds, 1)} s`, '', `${fmt(seconds / 3600, 1)} h`]);
  }
  for (const t of sizes.auditSizes ?? []) {
    if (t.rows === 0) continue;
    add(`PostgreSQL ${t.table} (table + indexes, per row written)`, t.tableBytes + t.indexBytes, t.rows);
  }
  return `${table(rows)}\n  projected linearly from this run; audit rows scale with accesses, not with records.`;
}
