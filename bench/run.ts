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
 *    database the project just seeded, and a bare Express 5 handler that parses the same form and
 *    returns a fixed TwiML reply (`bench/bare-server.ts`), each a process of its own. After a
 *    warm-up of each, drives `POST /sms` with autocannon, alternating A B A B, `--connections`
 *    connections, `--duration` seconds a round. Requests are pre-signed Twilio-style `TT` lookups,
 *    each from a different registered citizen with a fresh MessageSid, so the signature check,
 *    lookup, audit write, rate limiting and logging all run and no limit ever answers instead.
 *    Reports requests/s, p50 and p99 latency (from each response's own timing, microsecond
 *    resolution) and the server's peak RSS (VmHWM from /proc, read before it is stopped).
 * 3. Checks every reply: a real server reply counts only when it is 200 and holds the citizen's
 *    name (as the reply spells it, GSM-7); a bare reply must be the fixed TwiML. Any other reply,
 *    or a connection error, fails the run (exit 1), so a fast refusal cannot pass for speed.
 *
 * Prints the environment, a table of every figure with the ratios and the targets with PASS or
 * MISS. Exit code 0 when the run completed and every reply checked out (targets missed or not,
 * unless `--fail-on-miss`), 1 otherwise, 2 for bad arguments. `--smoke`: 2,000 records, 1 s
 * rounds, 1 round, 0.5 s warm-up, to prove the benchmark works (CI), not to measure anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { fakeRow } from '../src/citizens/fake.js';
import { normalizeVietnameseMobile } from '../src/citizens/phone.js';
import { errorMessage } from '../src/errors.js';
import { toGsm7 } from '../src/sms/gsm7.js';
import { inboundParams, signForm } from '../src/sms/signing.js';
import {
  childEnv,
  startServer as startServerProcess,
  stopServer as stopServerProcess,
  type ServerProcess,
} from '../src/testing/processes.js';
import { BARE_TWIML } from './bare-twiml.js';
import { numberOption, UsageError } from './options.js';
import { selfTimeByArea, topSelfTime } from './cpu-profile.js';
import { SERVER_NODE_FLAGS } from './server-flags.js';

const USAGE =
  'usage: npm run bench -- [--records 100000] [--duration 10] [--rounds 2] [--connections 10] [--warmup 3] ' +
  '[--smoke] [--json out.json] [--cpu-prof DIR] [--keep] [--fail-on-miss] [--only seeding|webhook]';

const TOKEN = 'bench-local-auth-token-not-a-secret';
const PUBLIC_BASE = 'https://sms.example.vn';
const HOST = '127.0.0.1';
const MiB = 1024 * 1024;
/** Highest request rate the pre-signed pools are sized for before the warm-up has measured one. */
const MAX_EXPECTED_RATE = 15_000;

const DIST = fileURLToPath(new URL('../', import.meta.url));
const SERVER_JS = join(DIST, 'src', 'server.js');
const SEED_JS = join(DIST, 'src', 'cli', 'seed.js');
const BARE_SERVER_JS = join(DIST, 'bench', 'bare-server.js');
const BARE_SEED_JS = join(DIST, 'bench', 'bare-seed.js');
const PEAK_RSS_JS = join(DIST, 'bench', 'peak-rss.js');

/** The targets of issue 5 (on the 2-core development machine). */
const TARGETS = {
  webhookThroughputRatio: 0.75,
  webhookP99Ratio: 2,
  serverPeakRssMiB: 150,
  serverRssRecords: 1_000_000,
  seedingRatio: 1,
  seedingPeakRssMiB: 300,
};

interface Options {
  records: number;
  duration: number;
  rounds: number;
  connections: number;
  warmup: number;
  smoke: boolean;
  json: string | undefined;
  cpuProf: string | undefined;
  keep: boolean;
  failOnMiss: boolean;
  /** Run only one part; the webhook part still seeds its database with the project's code. */
  only: 'seeding' | 'webhook' | undefined;
}

function parseOptions(argv: string[]): Options {
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
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
/** Kills every child still running (servers, seeding runs): on exit, on a signal, on a failure. */
function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs `node [nodeArgs] script args`, output to files in `dir`, bounded by `timeoutMs`. */
function runNode(
  dir: string,
  name: string,
  nodeArgs: string[],
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finished> {
  const outFile = join(dir, `${name}.stdout`);
  const errFile = join(dir, `${name}.stderr`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  children.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, ms, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') });
    });
  });
}

function readPeakRssKiB(file: string): number {
  const kib = Number(readFileSync(file, 'utf8'));
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no peak RSS in ${file}`);
  return kib;
}

/** `VmHWM` (peak) or `VmRSS` (current) of a live process, in KiB; undefined when it is gone. */
function procStatusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A server under load: its process, and the highest VmRSS seen by polling (a fallback where /proc has no VmHWM). */
interface Server extends ServerProcess {
  name: string;
  polledPeakKiB: number;
  poller: NodeJS.Timeout | undefined;
}

/** Starts a server script and waits for its `listening` log line (which gives the port). */
async function startServer(
  dir: string,
  name: string,
  nodeArgs: string[],
  script: string,
  env: Record<string, string | undefined>,
): Promise<Server> {
  const started = await startServerProcess({ dir, name, nodeArgs, script, env, onSpawn: (child) => children.add(child) });
  const server: Server = { ...started, name, polledPeakKiB: 0, poller: undefined };
  server.poller = setInterval(() => {
    server.polledPeakKiB = Math.max(server.polledPeakKiB, procStatusKiB(server.pid, 'VmRSS') ?? 0);
  }, 200);
  server.poller.unref();
  return server;
}

/** CPU time (user + system, every thread) a process has used so far, in seconds. */
function cpuSeconds(pid: number): number {
  try {
    // Nanoseconds on a CPU: the first field of schedstat, when the kernel has it.
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e9;
  } catch {
    // fall through to stat
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/** Peak RSS of a running server in KiB: VmHWM, or the polled maximum of VmRSS. */
function serverPeakKiB(server: Server): number {
  return Math.max(procStatusKiB(server.pid, 'VmHWM') ?? 0, server.polledPeakKiB);
}

/** SIGTERM, then SIGKILL after 15 s. Resolves with the exit code. */
async function stopServer(server: Server): Promise<number | null> {
  clearInterval(server.poller);
  const { code } = await stopServerProcess(server);
  children.delete(server.proc);
  return code;
}

// ---------------------------------------------------------------------------------------------
// Seeding

interface SeedRun {
  side: 'project' | 'bare';
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
}

async function seedProject(dir: string, csv: string, db: string, records: number, round: number): Promise<SeedRun> {
  const rssFile = join(dir, `seed-project-${round}.rss`);
  const env = childEnv({ DATABASE_PATH: db, BENCH_PEAK_RSS_FILE: rssFile, NODE_ENV: 'production' });
  const r = await runNode(dir, `seed-project-${round}`, ['--import', PEAK_RSS_JS], [SEED_JS, csv], env, 3_600_000);
  const expected = `inserted ${records}, updated 0, rejected 0`;
  if (r.code !== 0 || !r.stdout.includes(expected)) {
    throw new Error(`project seeding failed (exit ${r.code ?? r.signal}): ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 2000));
  }
  return { side: 'project', seconds: r.ms / 1000, rowsPerSecond: records / (r.ms / 1000), peakRssMiB: readPeakRssKiB(rssFile) / 1024 };
}

async function seedBare(dir: string, csv: string, db: string, records: number, round: number): Promise<SeedRun> {
  const rssFile = join(dir, `seed-bare-${round}.rss`);
  const env = childEnv({ BENCH_PEAK_RSS_FILE: rssFile });
  const r = await runNode(dir, `seed-bare-${round}`, ['--import', PEAK_RSS_JS], [BARE_SEED_JS, csv, db], env, 3_600_000);
  if (r.code !== 0 || !r.stdout.includes(`{"rows":${records}}`)) {
    throw new Error(`bare seeding failed (exit ${r.code ?? r.signal}): ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 2000));
  }
  return { side: 'bare', seconds: r.ms / 1000, rowsPerSecond: records / (r.ms / 1000), peakRssMiB: readPeakRssKiB(rssFile) / 1024 };
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

// ---------------------------------------------------------------------------------------------
// Webhook load

/** One pre-signed lookup and the name its reply must hold. */
interface SignedLookup {
  body: string;
  signature: string;
  expectedName: string;
}

/** Pre-signs the `TT` lookups of fake citizens [from, to): each from that citizen's own phone. */
function signLookups(from: number, to: number): SignedLookup[] {
  const url = `${PUBLIC_BASE}/sms`;
  const pool: SignedLookup[] = [];
  for (let i = from; i < to; i++) {
    const row = fakeRow(i);
    const phone = normalizeVietnameseMobile(row.phone);
    if (!phone.ok) throw new Error(`fake record ${i} has an invalid phone: ${phone.reason}`);
    // Random like Twilio's: 128 random bits never repeat, and land anywhere in the SID indexes.
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const { body, signature } = signForm(TOKEN, url, inboundParams(phone.value, `TT ${row.id_number}`, { MessageSid: sid }));
    pool.push({ body, signature, expectedName: toGsm7(row.full_name) });
  }
  return pool;
}

interface LoadRound {
  side: 'project' | 'bare';
  label: string;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** CPU time the server process used (all its threads) per request, in microseconds. */
  serverCpuPerRequestUs: number;
  /** CPU time the server process used per second of the round (1 = one core busy). */
  serverCpuUse: number;
  p50ms: number;
  p99ms: number;
  verified: number;
  wrong: number;
  errors: number;
  /** The round stopped before its duration because its pool of distinct citizens ran out. */
  poolExhausted: boolean;
  wrongSamples: string[];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Drives `POST /sms` on `port` for `seconds` with the lookups of `pool` (each used once when
 * `once`, so the round ends early if they run out; cycled otherwise) and checks each reply with
 * `check`.
 */
async function load(
  side: 'project' | 'bare',
  label: string,
  server: Server,
  pool: SignedLookup[],
  seconds: number,
  connections: number,
  once: boolean,
  check: (status: number, body: string, lookup: SignedLookup) => boolean,
): Promise<LoadRound> {
  let next = 0;
  let verified = 0;
  let wrong = 0;
  const wrongSamples: string[] = [];
  const latencies: number[] = [];
  const contexts = new WeakMap<object, SignedLookup>();
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${HOST}:${server.port}`,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        maxOverallRequests: once ? pool.length : undefined,
        requests: [
          {
            method: 'POST',
            path: '/sms',
            setupRequest: (request, context) => {
              const lookup = pool[next++ % pool.length] as SignedLookup;
              contexts.set(context, lookup);
              return {
                ...request,
                headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': lookup.signature },
                body: lookup.body,
              };
            },
            onResponse: (status, body, context) => {
              const lookup = contexts.get(context);
              if (lookup && check(status, body, lookup)) verified++;
              else {
                wrong++;
                if (wrongSamples.length < 3) wrongSamples.push(`${status} ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      },
      (err: unknown, res: autocannon.Result) => {
        if (err === null || err === undefined) resolve(res);
        else reject(err instanceof Error ? err : new Error(errorMessage(err)));
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const sorted = Float64Array.from(latencies).sort();
  const requests = result['2xx'] + result.non2xx;
  return {
    side,
    label,
    seconds: elapsed,
    requests,
    requestsPerSecond: requests / elapsed,
    serverCpuPerRequestUs: requests > 0 ? (cpu / requests) * 1e6 : Number.NaN,
    serverCpuUse: cpu / elapsed,
    p50ms: percentile(sorted, 50),
    p99ms: percentile(sorted, 99),
    verified,
    wrong,
    errors: result.errors,
    poolExhausted: once && next >= pool.length && elapsed < seconds - 0.05,
    wrongSamples,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pad = (s: string, width: number) => (s.length >= width ? s : ' '.repeat(width - s.length) + s);
const padEnd = (s: string, width: number) => (s.length >= width ? s : s + ' '.repeat(width - s.length));

function table(rows: string[][], alignLeft = 1): string {
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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// ---------------------------------------------------------------------------------------------

interface Environment {
  date: string;
  cpu: string;
  nproc: number;
  totalMemoryMiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

interface SeedingResult {
  runs: SeedRun[];
  project: SeedRun;
  bare: SeedRun;
  projectPeakRssMiB: number;
  barePeakRssMiB: number;
  ratio: number;
}

/** Writes the fake CSV, then seeds it A B A B; leaves the last project database at `projectDb`. */
async function runSeeding(dir: string, options: Options, projectDb: string, withBare: boolean): Promise<SeedingResult | undefined> {
  const { records, rounds } = options;
  const csv = join(dir, 'citizens.csv');
  const gen = await runNode(dir, 'fake-csv', [], [SEED_JS, '--fake', String(records), '--out', csv], childEnv({}), 3_600_000);
  if (gen.code !== 0) throw new Error(`could not write the fake CSV: ${gen.stderr.trim()}`);
  console.log(`\nseeding: ${fmtInt(records)} fake records in random key order, CSV ${fmt(statSync(csv).size / MiB, 1)} MiB`);
  const runs: SeedRun[] = [];
  for (let round = 1; round <= (withBare ? rounds : 1); round++) {
    removeDb(projectDb);
    const a = await seedProject(dir, csv, projectDb, records, round);
    runs.push(a);
    console.log(`  round ${round} A project: ${fmt(a.seconds)} s, ${fmtInt(a.rowsPerSecond)} rows/s, peak RSS ${fmt(a.peakRssMiB, 0)} MiB`);
    if (!withBare) continue;
    const bareDb = join(dir, 'bare.db');
    const b = await seedBare(dir, csv, bareDb, records, round);
    removeDb(bareDb);
    runs.push(b);
    console.log(`  round ${round} B bare:    ${fmt(b.seconds)} s, ${fmtInt(b.rowsPerSecond)} rows/s, peak RSS ${fmt(b.peakRssMiB, 0)} MiB`);
  }
  rmSync(csv, { force: true });
  if (!withBare) return undefined;
  const side = (name: SeedRun['side']) => runs.filter((r) => r.side === name);
  const best = (name: SeedRun['side']) => side(name).reduce((x, y) => (y.rowsPerSecond > x.rowsPerSecond ? y : x));
  const project = best('project');
  const bare = best('bare');
  return {
    runs,
    project,
    bare,
    projectPeakRssMiB: Math.max(...side('project').map((r) => r.peakRssMiB)),
    barePeakRssMiB: Math.max(...side('bare').map((r) => r.peakRssMiB)),
    ratio: project.rowsPerSecond / bare.rowsPerSecond,
  };
}

interface WebhookSide {
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** Server CPU time per request (microseconds) and per second of load (1 = one core). */
  cpuPerRequestUs: number;
  cpuUse: number;
  peakRssMiB: number;
}

interface WebhookResult {
  rounds: LoadRound[];
  real: WebhookSide;
  bare: WebhookSide;
  throughputRatio: number;
  p99Ratio: number;
  verifiedLookups: number;
  wrongReplies: number;
  bareReplies: number;
  servedInAudit: number;
  otherInAudit: number;
  problems: string[];
  profile: (ReturnType<typeof topSelfTime> & { file: string; areas: ReturnType<typeof selfTimeByArea> }) | undefined;
}

/** Starts both servers and drives them A B A B; checks every reply and the audit log. */
async function runWebhook(dir: string, options: Options, projectDb: string, servers: Server[]): Promise<WebhookResult> {
  const { records, duration, rounds, connections, warmup } = options;
  console.log(`\nwebhook: POST /sms, ${connections} connections, A = real server (${fmtInt(records)} records), B = bare Express`);
  if (options.cpuProf) rmSync(options.cpuProf, { recursive: true, force: true });
  const realArgs = [...SERVER_NODE_FLAGS, ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf] : [])];
  const real = await startServer(
    dir,
    'server',
    realArgs,
    SERVER_JS,
    childEnv({
      NODE_ENV: 'production',
      TWILIO_AUTH_TOKEN: TOKEN,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      PORT: '0',
      HOST,
      DATABASE_PATH: projectDb,
      LOG_LEVEL: 'info',
    }),
  );
  servers.push(real);
  const bare = await startServer(dir, 'bare-server', [], BARE_SERVER_JS, childEnv({ PORT: '0', HOST }));
  servers.push(bare);

  const checkReal = (status: number, body: string, lookup: SignedLookup) =>
    status === 200 && body.includes('<Message>') && body.includes(lookup.expectedName);
  const checkBare = (status: number, body: string) => status === 200 && body === BARE_TWIML;

  // Distinct citizens for every real-server request: the warm-up and each round get their own
  // slice of [0, records), sized for 1.5 x the highest real-server rate measured so far (before
  // any: a ceiling). The bare server gets the same requests, cycled.
  let nextCitizen = 0;
  let measuredRate: number | undefined;
  const slice = (seconds: number, roundsLeft: number) => {
    const want = Math.ceil((measuredRate ? measuredRate * 1.5 : MAX_EXPECTED_RATE) * seconds) + 1000;
    const count = Math.max(1, Math.min(Math.floor((records - nextCitizen) / roundsLeft), want));
    const pool = signLookups(nextCitizen, nextCitizen + count);
    nextCitizen += count;
    return pool;
  };
  const loadRounds: LoadRound[] = [];
  if (warmup > 0) {
    const pool = slice(warmup, rounds + 1);
    const wa = await load('project', 'warm-up', real, pool, warmup, connections, true, checkReal);
    const wb = await load('bare', 'warm-up', bare, pool, warmup, connections, false, checkBare);
    loadRounds.push(wa, wb);
    measuredRate = wa.requestsPerSecond;
    console.log(`  warm-up: A ${fmtInt(wa.requestsPerSecond)} req/s, B ${fmtInt(wb.requestsPerSecond)} req/s`);
  }
  for (let round = 1; round <= rounds; round++) {
    const pool = slice(duration, rounds - round + 1);
    const a = await load('project', `round ${round}`, real, pool, duration, connections, true, checkReal);
    const b = await load('bare', `round ${round}`, bare, pool, duration, connections, false, checkBare);
    loadRounds.push(a, b);
    measuredRate = Math.max(measuredRate ?? 0, a.requestsPerSecond);
    for (const r of [a, b]) {
      console.log(
        `  round ${round} ${r.side === 'project' ? 'A real' : 'B bare'}: ${fmtInt(r.requestsPerSecond)} req/s, p50 ${fmt(r.p50ms)} ms, p99 ${fmt(r.p99ms)} ms, ` +
          `server CPU ${fmtInt(r.serverCpuPerRequestUs)} us/request (${fmt(r.serverCpuUse * 100, 0)}% of a core)` +
          ` (${fmtInt(r.requests)} requests in ${fmt(r.seconds)} s${r.poolExhausted ? ', ended early: its distinct citizens ran out' : ''})`,
      );
    }
  }
  const realPeakMiB = serverPeakKiB(real) / 1024;
  const barePeakMiB = serverPeakKiB(bare) / 1024;
  const realExit = await stopServer(real);
  const bareExit = await stopServer(bare);

  const problems: string[] = [];
  for (const r of loadRounds) {
    const expected = r.side === 'project' ? 'real lookups' : 'the fixed reply';
    if (r.wrong > 0)
      problems.push(`${r.side} ${r.label}: ${r.wrong} replies that were not ${expected}, e.g. ${r.wrongSamples.join(' | ')}`);
    if (r.errors > 0) problems.push(`${r.side} ${r.label}: ${r.errors} connection errors or timeouts`);
    if (r.verified === 0) problems.push(`${r.side} ${r.label}: no verified reply`);
  }
  if (realExit !== 0) problems.push(`the real server exited with ${realExit} on SIGTERM: ${readFileSync(real.errFile, 'utf8').trim()}`);
  if (bareExit !== 0) problems.push(`the bare server exited with ${bareExit} on SIGTERM`);
  const sum = (side: LoadRound['side'], key: 'verified' | 'wrong') =>
    loadRounds.filter((r) => r.side === side).reduce((n, r) => n + r[key], 0);
  const verifiedLookups = sum('project', 'verified');
  const audit = new Database(projectDb, { readonly: true });
  const servedInAudit = audit.prepare(`SELECT count(*) FROM audit_log WHERE outcome = 'served'`).pluck().get() as number;
  const otherInAudit = audit.prepare(`SELECT count(*) FROM audit_log WHERE outcome <> 'served'`).pluck().get() as number;
  audit.close();
  if (servedInAudit < verifiedLookups)
    problems.push(`the audit log has ${servedInAudit} served lookups, fewer than the ${verifiedLookups} replies verified`);
  if (otherInAudit > 0) problems.push(`the audit log has ${otherInAudit} messages that were not served (refused, limited...)`);

  let profile: WebhookResult['profile'];
  if (options.cpuProf) {
    const file = readdirSync(options.cpuProf).find((f) => f.endsWith('.cpuprofile'));
    if (file)
      profile = {
        ...topSelfTime(join(options.cpuProf, file), 20),
        areas: selfTimeByArea(join(options.cpuProf, file)),
        file: join(options.cpuProf, file),
      };
    else problems.push(`no CPU profile was written to ${options.cpuProf}`);
  }

  const summary = (side: LoadRound['side'], peakRssMiB: number): WebhookSide => {
    const timed = loadRounds.filter((r) => r.side === side && r.label !== 'warm-up');
    return {
      requestsPerSecond: median(timed.map((r) => r.requestsPerSecond)),
      p50ms: median(timed.map((r) => r.p50ms)),
      p99ms: median(timed.map((r) => r.p99ms)),
      cpuPerRequestUs: median(timed.map((r) => r.serverCpuPerRequestUs)),
      cpuUse: median(timed.map((r) => r.serverCpuUse)),
      peakRssMiB,
    };
  };
  const realSide = summary('project', realPeakMiB);
  const bareSide = summary('bare', barePeakMiB);
  return {
    rounds: loadRounds,
    real: realSide,
    bare: bareSide,
    throughputRatio: realSide.requestsPerSecond / bareSide.requestsPerSecond,
    p99Ratio: realSide.p99ms / bareSide.p99ms,
    verifiedLookups,
    wrongReplies: sum('project', 'wrong'),
    bareReplies: sum('bare', 'verified'),
    servedInAudit,
    otherInAudit,
    problems,
    profile,
  };
}

interface Target {
  target: string;
  value: string;
  pass: boolean;
}

function targetsOf(options: Options, seeding: SeedingResult | undefined, webhook: WebhookResult | undefined): Target[] {
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

function report(
  environment: Environment,
  options: Options,
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
        `audit log: ${fmtInt(webhook.servedInAudit)} served, ${fmtInt(webhook.otherInAudit)} other`,
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

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  for (const file of [SERVER_JS, SEED_JS, BARE_SERVER_JS, BARE_SEED_JS, PEAK_RSS_JS]) {
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
  try {
    const projectDb = join(dir, 'project.db');
    const seeding = await runSeeding(dir, options, projectDb, options.only !== 'webhook');
    const webhook = options.only === 'seeding' ? undefined : await runWebhook(dir, options, projectDb, servers);
    const targets = targetsOf(options, seeding, webhook);
    const problems = webhook?.problems ?? [];
    console.log(report(environment, options, seeding, webhook, targets));
    console.log(problems.length === 0 ? '\nverification: OK' : `\nverification: FAILED\n  ${problems.join('\n  ')}`);
    if (options.json) {
      writeFileSync(options.json, `${JSON.stringify({ environment, options, seeding, webhook, targets }, null, 2)}\n`);
      console.log(`results written to ${options.json}`);
    }
    if (problems.length > 0) return 1;
    if (options.failOnMiss && targets.some((t) => !t.pass)) return 1;
    return 0;
  } finally {
    for (const server of servers) await stopServer(server);
    killChildren();
    if (options.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
