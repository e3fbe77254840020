/** The benchmark's report: number formats, tables, the targets and whether each is met. */
import type { BenchOptions } from './options.js';
import type { SeedingResult } from './seeding.js';
import type { WebhookResult } from './webhook.js';

/** The benchmark's targets (on the 2-core development machine). */
export const TARGETS = {
  webhookThroughputRatio: 0.75,
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
  }
  return targets;
}

export function report(
  environment: Environment,
  options: BenchOptions,
  seeding: SeedingResult | undefined,
  webhook: WebhookResult | undefined,
  targets: Target[],
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
      ]),
    );
  }
  if (webhook) {
    const { real, bare } = webhook;
    out.push('');
    out.push(
      table([
        ['webhook POST /sms', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU us/req', 'CPU use'],
        [
          'real server (TT lookups)',
          fmtInt(real.requestsPerSecond),
          fmt(real.p50ms),
          fmt(real.p99ms),
          fmt(real.peakRssMiB, 0),
          fmtInt(real.cpuPerRequestUs),
          `${fmt(real.cpuUse * 100, 0)}%`,
        ],
        [
          'bare Express 5 handler',
          fmtInt(bare.requestsPerSecond),
          fmt(bare.p50ms),
          fmt(bare.p99ms),
          fmt(bare.peakRssMiB, 0),
          fmtInt(bare.cpuPerRequestUs),
          `${fmt(bare.cpuUse * 100, 0)}%`,
        ],
        [
          'ratio real / bare',
          `${fmt(webhook.throughputRatio)} x`,
          `${fmt(real.p50ms / bare.p50ms)} x`,
          `${fmt(webhook.p99Ratio)} x`,
          '',
          `${fmt(real.cpuPerRequestUs / bare.cpuPerRequestUs)} x`,
        ],
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
      ]),
    );
  }
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
          : ''),
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
