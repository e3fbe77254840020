/**
 * The webhook half of the benchmark: the real server and the bare Express handler driven with
 * autocannon, A B alternating, every reply checked, then the audit log compared with the replies.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { fakeRow } from '../src/seeding/fake.js';
import { normalizeVietnameseMobile } from '../src/citizens/phone.js';
import { errorMessage } from '../src/errors.js';
import { toGsm7 } from '../src/sms/gsm7.js';
import { inboundParams, signForm, statusParams } from '../src/sms/twilioFixtures.js';
import { childEnv } from '../src/testing/processes.js';
import { BARE_TWIML } from './bare-twiml.js';
import { selfTimeByArea, topSelfTime } from './cpu-profile.js';
import { SERVER_NODE_FLAGS } from './server-flags.js';
import type { BenchOptions } from './options.js';
import {
  BARE_SERVER_JS,
  COUNT_STATEMENTS_JS,
  cpuSeconds,
  FLOOR_SERVER_JS,
  HOST,
  SERVER_JS,
  serverPeakKiB,
  startServer,
  stopServer,
  type Server,
} from './processes.js';
import { auditCounts, postgresCpuSeconds, type BenchPostgres } from './postgres.js';
import { fmt, fmtInt, median } from './report.js';

const TOKEN = 'bench-local-auth-token-not-a-secret';
const PUBLIC_BASE = 'https://sms.example.vn';
/** Highest request rate the pre-signed pools are sized for before the warm-up has measured one. */
const MAX_EXPECTED_RATE = 15_000;

/** One pre-signed lookup and the name its reply must hold. */
interface SignedLookup {
  body: string;
  signature: string;
  /** The name as the project's reply spells it (GSM-7). */
  expectedName: string;
  /** The name as stored (the floor's reply). */
  name: string;
  /** The inbound MessageSid. */
  sid: string;
  /** The path to post to: `/sms` unless given. */
  path?: string;
}

/** Pre-signs one `delivered` status callback for the reply to each lookup of `lookups`. */
function signCallbacks(lookups: readonly SignedLookup[]): SignedLookup[] {
  return lookups.map((l) => {
    const path = `/sms/status?ref=${l.sid}`;
    const { body, signature } = signForm(TOKEN, PUBLIC_BASE + path, statusParams(`SM${randomBytes(16).toString('hex')}`, 'delivered'));
    return { body, signature, expectedName: '', name: '', sid: l.sid, path };
  });
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
    pool.push({ body, signature, expectedName: toGsm7(row.full_name), name: row.full_name, sid });
  }
  return pool;
}

/** What one round drove: the project on SQLite, on PostgreSQL (one node, two nodes), the floor, bare Express. */
export type SideKey = 'sqlite' | 'pg1' | 'pg2' | 'floor' | 'bare';

/** CPU seconds a process used during a round, per second of the round (1 = one core busy). */
export interface ProcessCpu {
  name: string;
  use: number;
}

export interface LoadRound {
  side: SideKey;
  label: string;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** CPU time the side's processes (its node processes, and PostgreSQL's) used per request, in microseconds. */
  serverCpuPerRequestUs: number;
  /** CPU time of the side's node processes per second of the round (1 = one core busy). */
  serverCpuUse: number;
  /** Each process of the side: its node processes, and `postgres` when it uses PostgreSQL. */
  cpuByProcess: ProcessCpu[];
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

/** One autocannon run against one server: its share of the connections, the lookups drawn from a shared counter. */
function drive(
  server: Server,
  connections: number,
  seconds: number,
  maxRequests: number | undefined,
  nextLookup: () => SignedLookup,
  onReply: (status: number, body: string, lookup: SignedLookup | undefined) => void,
  latencies: number[],
): Promise<autocannon.Result> {
  const contexts = new WeakMap<object, SignedLookup>();
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${HOST}:${server.port}`,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        maxOverallRequests: maxRequests,
        requests: [
          {
            method: 'POST',
            path: '/sms',
            setupRequest: (request, context) => {
              const lookup = nextLookup();
              contexts.set(context, lookup);
              return {
                ...request,
                path: lookup.path ?? '/sms',
                headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': lookup.signature },
                body: lookup.body,
              };
            },
            onResponse: (status, body, context) => {
              onReply(status, body, contexts.get(context));
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
}

/** A side of the comparison: what serves it, and what a right reply is. */
interface Side {
  key: SideKey;
  servers: Server[];
  /** PostgreSQL, whose processes' CPU time counts for this side. */
  postgres?: BenchPostgres | undefined;
  check: (status: number, body: string, lookup: SignedLookup) => boolean;
}

/**
 * Drives `POST /sms` on the side's servers for `seconds` (the connections split evenly between
 * them) with the lookups of `pool` (each used once when `once`, so the round ends early if they
 * run out; cycled otherwise), and checks each reply.
 */
async function load(
  side: Side,
  label: string,
  pool: SignedLookup[],
  seconds: number,
  connections: number,
  once: boolean,
): Promise<LoadRound> {
  let next = 0;
  let verified = 0;
  let wrong = 0;
  const wrongSamples: string[] = [];
  const latencies: number[] = [];
  const onReply = (status: number, body: string, lookup: SignedLookup | undefined) => {
    if (lookup && side.check(status, body, lookup)) verified++;
    else {
      wrong++;
      if (wrongSamples.length < 3) wrongSamples.push(`${status} ${body.slice(0, 200)}`);
    }
  };
  const nextLookup = () => pool[next++ % pool.length] as SignedLookup;
  const n = side.servers.length;
  const cpuBefore = side.servers.map((s) => cpuSeconds(s.pid));
  const pgBefore = side.postgres ? postgresCpuSeconds(side.postgres) : 0;
  const started = performance.now();
  const results = await Promise.all(
    side.servers.map((server, i) =>
      drive(
        server,
        Math.max(1, Math.floor(connections / n) + (i < connections % n ? 1 : 0)),
        seconds,
        once ? Math.floor(pool.length / n) : undefined,
        nextLookup,
        onReply,
        latencies,
      ),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuByProcess: ProcessCpu[] = side.servers.map((s, i) => ({
    name: s.name,
    use: (cpuSeconds(s.pid) - (cpuBefore[i] ?? 0)) / elapsed,
  }));
  const nodeCpu = cpuByProcess.reduce((sum, p) => sum + p.use, 0) * elapsed;
  let pgCpu = 0;
  if (side.postgres) {
    pgCpu = postgresCpuSeconds(side.postgres) - pgBefore;
    cpuByProcess.push({ name: 'postgres', use: pgCpu / elapsed });
  }
  const sorted = Float64Array.from(latencies).sort();
  const requests = results.reduce((sum, r) => sum + r['2xx'] + r.non2xx, 0);
  return {
    side: side.key,
    label,
    seconds: elapsed,
    requests,
    requestsPerSecond: requests / elapsed,
    serverCpuPerRequestUs: requests > 0 ? ((nodeCpu + pgCpu) / requests) * 1e6 : Number.NaN,
    serverCpuUse: nodeCpu / elapsed,
    cpuByProcess,
    p50ms: percentile(sorted, 50),
    p99ms: percentile(sorted, 99),
    verified,
    wrong,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    poolExhausted: once && next >= pool.length - n && elapsed < seconds - 0.05,
    wrongSamples,
  };
}

export interface WebhookSide {
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** CPU time of the side's processes (node, and PostgreSQL's) per request, in microseconds. */
  cpuPerRequestUs: number;
  /** CPU time of the side's node processes per second of load (1 = one core). */
  cpuUse: number;
  /** Median CPU use of each of the side's processes. */
  cpuByProcess: ProcessCpu[];
  /** Peak RSS of its largest node process. */
  peakRssMiB: number;
}

/** What one message asks of the database, counted by bench/count-statements.ts in a run of its own. */
export interface StatementCount {
  messages: number;
  statementsPerMessage: number;
  commitsPerMessage: number;
  roundTripsPerMessage: number;
}

export interface WebhookResult {
  rounds: LoadRound[];
  /** The project on SQLite. */
  real: WebhookSide;
  bare: WebhookSide;
  floor: WebhookSide;
  /** The project on PostgreSQL with one node and with two (with `--store postgres`). */
  pg1: WebhookSide | undefined;
  pg2: WebhookSide | undefined;
  throughputRatio: number;
  p99Ratio: number;
  /** Project (SQLite) / floor, and floor / bare, in requests per second. */
  floorRatio: number;
  floorVsBare: number;
  statements: { sqlite: StatementCount; postgres: StatementCount | undefined };
  verifiedLookups: number;
  wrongReplies: number;
  bareReplies: number;
  servedInAudit: number;
  otherInAudit: number;
  /** PostgreSQL's audit log after the run (with `--store postgres`). */
  pgServedInAudit: number | undefined;
  pgVerifiedLookups: number | undefined;
  problems: string[];
  profile: (ReturnType<typeof topSelfTime> & { file: string; areas: ReturnType<typeof selfTimeByArea> }) | undefined;
  /** The status callback round on SQLite (each callback of a distinct reply, answered 204), and the events it recorded. */
  receipts: { round: LoadRound; eventsInDb: number } | undefined;
}

/** The PostgreSQL database of `--store postgres`, seeded by the project. */
export interface PostgresTarget {
  server: BenchPostgres;
  url: string;
}

const SIDE_NAMES: Record<SideKey, string> = {
  sqlite: 'A project on SQLite',
  pg1: 'P1 project on PostgreSQL, 1 node',
  pg2: 'P2 project on PostgreSQL, 2 nodes',
  floor: 'F floor',
  bare: 'B bare',
};

function serverEnv(database: { path: string } | { url: string }): Record<string, string | undefined> {
  return {
    NODE_ENV: 'production',
    TWILIO_AUTH_TOKEN: TOKEN,
    PUBLIC_BASE_URL: PUBLIC_BASE,
    PORT: '0',
    HOST,
    ...('path' in database ? { DATABASE_PATH: database.path } : { DATABASE_URL: database.url }),
    LOG_LEVEL: 'info',
  };
}

async function waitForFile(file: string, timeoutMs = 5_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.endsWith('}')) return text;
    }
    if (Date.now() > until) throw new Error(`${file} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Statements, commits and round trips per message: a server of its own with the counting preload,
 * a snapshot of the counts before and after `pool` is sent with `connections` connections.
 */
async function countStatements(
  dir: string,
  name: string,
  env: Record<string, string | undefined>,
  pool: SignedLookup[],
  connections: number,
  check: Side['check'],
  servers: Server[],
): Promise<StatementCount> {
  const countFile = join(dir, `${name}.counts`);
  const server = await startServer(
    dir,
    name,
    ['--import', COUNT_STATEMENTS_JS],
    SERVER_JS,
    childEnv({ ...env, BENCH_COUNT_FILE: countFile }),
  );
  servers.push(server);
  type Counts = { statements: number; commits: number; roundTrips: number };
  process.kill(server.pid, 'SIGUSR2');
  const before = JSON.parse(await waitForFile(`${countFile}.1`)) as Counts;
  const round = await load({ key: 'sqlite', servers: [server], check }, 'counting', pool, 60, connections, true);
  process.kill(server.pid, 'SIGUSR2');
  const after = JSON.parse(await waitForFile(`${countFile}.2`)) as Counts;
  await stopServer(server);
  servers.splice(servers.indexOf(server), 1);
  if (round.wrong > 0 || round.verified === 0)
    throw new Error(`${name}: ${round.wrong} wrong replies, e.g. ${round.wrongSamples.join(' | ')}`);
  const messages = round.requests;
  return {
    messages,
    statementsPerMessage: (after.statements - before.statements) / messages,
    commitsPerMessage: (after.commits - before.commits) / messages,
    roundTripsPerMessage: (after.roundTrips - before.roundTrips) / messages,
  };
}

/** Starts every side's servers and drives them in turn, round after round; checks every reply and the audit logs. */
export async function runWebhook(
  dir: string,
  options: BenchOptions,
  projectDb: string,
  servers: Server[],
  postgres: PostgresTarget | undefined,
): Promise<WebhookResult> {
  const { records, duration, rounds, connections, warmup } = options;
  const keys: SideKey[] = postgres ? ['sqlite', 'pg1', 'pg2', 'floor', 'bare'] : ['sqlite', 'floor', 'bare'];
  console.log(
    `\nwebhook: POST /sms, ${connections} connections, ${fmtInt(records)} records; in turn: ${keys.map((k) => SIDE_NAMES[k]).join(', ')}`,
  );
  if (options.cpuProf) rmSync(options.cpuProf, { recursive: true, force: true });
  const realArgs = [...SERVER_NODE_FLAGS, ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf] : [])];
  const start = async (name: string, nodeArgs: string[], script: string, env: Record<string, string | undefined>) => {
    const server = await startServer(dir, name, nodeArgs, script, childEnv(env));
    servers.push(server);
    return server;
  };
  const real = await start('server', realArgs, SERVER_JS, serverEnv({ path: projectDb }));
  const floor = await start('floor-server', [...SERVER_NODE_FLAGS], FLOOR_SERVER_JS, {
    ...serverEnv({ path: projectDb }),
    FLOOR_AUDIT_PATH: join(dir, 'floor-audit.db'),
  });
  const bare = await start('bare-server', [], BARE_SERVER_JS, { PORT: '0', HOST });
  const pgNodes: Server[] = [];
  if (postgres) {
    // One node first: the second starts once the first has applied the migrations.
    for (const name of ['pg-node-1', 'pg-node-2'])
      pgNodes.push(await start(name, [...SERVER_NODE_FLAGS], SERVER_JS, serverEnv({ url: postgres.url })));
  }

  const checkReal = (status: number, body: string, lookup: SignedLookup) =>
    status === 200 && body.includes('<Message ') && body.includes(lookup.expectedName);
  const checkFloor = (status: number, body: string, lookup: SignedLookup) =>
    status === 200 && body.includes('<Message>') && body.includes(lookup.name);
  const checkBare = (status: number, body: string) => status === 200 && body === BARE_TWIML;
  const sides: Record<SideKey, Side | undefined> = {
    sqlite: { key: 'sqlite', servers: [real], check: checkReal },
    pg1: postgres ? { key: 'pg1', servers: pgNodes.slice(0, 1), postgres: postgres.server, check: checkReal } : undefined,
    pg2: postgres ? { key: 'pg2', servers: pgNodes, postgres: postgres.server, check: checkReal } : undefined,
    floor: { key: 'floor', servers: [floor], check: checkFloor },
    bare: { key: 'bare', servers: [bare], check: checkBare },
  };

  // Distinct citizens for every request that records an access: the counting runs, the warm-up
  // and each round get their own slices of [0, records). A round's first slice serves the project
  // on SQLite, on one PostgreSQL node and the floor (each has its own database); two PostgreSQL
  // nodes share the first node's database, so they get a second slice. Each slice is sized for
  // 1.5 x the highest rate measured so far (before any: a ceiling). The bare server cycles the
  // first slice.
  const counting = signLookups(0, Math.min(2_000, Math.floor(records / 10)));
  let nextCitizen = counting.length;
  const slicesPerRound = postgres ? 2 : 1;
  let measuredRate: number | undefined;
  const slice = (seconds: number, slicesLeft: number) => {
    const want = Math.ceil((measuredRate ? measuredRate * 1.5 : MAX_EXPECTED_RATE) * seconds) + 1000;
    const count = Math.max(1, Math.min(Math.floor((records - nextCitizen) / slicesLeft), want));
    const pool = signLookups(nextCitizen, nextCitizen + count);
    nextCitizen += count;
    return pool;
  };
  const loadRounds: LoadRound[] = [];
  let lastLookups: SignedLookup[] = [];
  const runRound = async (label: string, seconds: number, slicesLeft: number) => {
    const first = slice(seconds, slicesLeft);
    const second = postgres ? slice(seconds, slicesLeft - 1) : first;
    const done: LoadRound[] = [];
    for (const key of keys) {
      const side = sides[key];
      if (!side) continue;
      const r = await load(side, label, key === 'pg2' ? second : first, seconds, connections, key !== 'bare');
      done.push(r);
      if (key === 'sqlite') lastLookups = first.slice(0, r.verified);
      if (key !== 'bare') measuredRate = Math.max(measuredRate ?? 0, r.requestsPerSecond);
    }
    loadRounds.push(...done);
    return done;
  };
  if (warmup > 0) {
    const done = await runRound('warm-up', warmup, (rounds + 1) * slicesPerRound);
    console.log(`  warm-up: ${done.map((r) => `${r.side} ${fmtInt(r.requestsPerSecond)} req/s`).join(', ')}`);
  }
  for (let round = 1; round <= rounds; round++) {
    const done = await runRound(`round ${round}`, duration, (rounds - round + 1) * slicesPerRound);
    for (const r of done) {
      console.log(
        `  round ${round} ${SIDE_NAMES[r.side]}: ${fmtInt(r.requestsPerSecond)} req/s, p50 ${fmt(r.p50ms)} ms, p99 ${fmt(r.p99ms)} ms, ` +
          `CPU ${fmtInt(r.serverCpuPerRequestUs)} us/request (${r.cpuByProcess.map((p) => `${p.name} ${fmt(p.use * 100, 0)}%`).join(', ')} of a core)` +
          ` (${fmtInt(r.requests)} requests in ${fmt(r.seconds)} s${r.poolExhausted ? ', ended early: its distinct citizens ran out' : ''})`,
      );
    }
  }
  // Delivery receipts: one `delivered` callback for each lookup of the last round on SQLite, once each.
  let receipts: LoadRound | undefined;
  if (lastLookups.length > 0) {
    receipts = await load(
      { key: 'sqlite', servers: [real], check: (status) => status === 204 },
      'receipts',
      signCallbacks(lastLookups),
      duration,
      connections,
      true,
    );
    console.log(
      `  receipts A real: POST /sms/status ${fmtInt(receipts.requestsPerSecond)} callbacks/s, p50 ${fmt(receipts.p50ms)} ms, p99 ${fmt(receipts.p99ms)} ms, ` +
        `server CPU ${fmtInt(receipts.serverCpuPerRequestUs)} us/callback (${fmtInt(receipts.requests)} callbacks in ${fmt(receipts.seconds)} s)`,
    );
  }
  const peakMiB = (list: Server[]) => Math.max(...list.map((s) => serverPeakKiB(s))) / 1024;
  const peaks: Record<SideKey, number> = {
    sqlite: peakMiB([real]),
    pg1: pgNodes.length ? peakMiB(pgNodes.slice(0, 1)) : Number.NaN,
    pg2: pgNodes.length ? peakMiB(pgNodes) : Number.NaN,
    floor: peakMiB([floor]),
    bare: peakMiB([bare]),
  };
  const problems: string[] = [];
  for (const server of [real, floor, bare, ...pgNodes]) {
    const code = await stopServer(server);
    servers.splice(servers.indexOf(server), 1);
    if (code !== 0)
      problems.push(`${server.name} exited with ${code} on SIGTERM: ${readFileSync(server.errFile, 'utf8').trim().slice(0, 500)}`);
  }

  console.log(`  counting statements per message (${fmtInt(counting.length)} messages, a server of its own with a counting preload)`);
  const statements = {
    sqlite: await countStatements(dir, 'count-sqlite', serverEnv({ path: projectDb }), counting, connections, checkReal, servers),
    postgres: postgres
      ? await countStatements(dir, 'count-postgres', serverEnv({ url: postgres.url }), counting, connections, checkReal, servers)
      : undefined,
  };

  for (const r of loadRounds) {
    const expected = r.side === 'bare' ? 'the fixed reply' : 'real lookups';
    if (r.wrong > 0)
      problems.push(`${r.side} ${r.label}: ${r.wrong} replies that were not ${expected}, e.g. ${r.wrongSamples.join(' | ')}`);
    if (r.errors > 0) problems.push(`${r.side} ${r.label}: ${r.errors} connection errors or timeouts`);
    if (r.verified === 0) problems.push(`${r.side} ${r.label}: no verified reply`);
  }
  const sum = (which: SideKey[], key: 'verified' | 'wrong') =>
    loadRounds.filter((r) => which.includes(r.side)).reduce((n, r) => n + r[key], 0);
  const verifiedLookups = sum(['sqlite'], 'verified') + statements.sqlite.messages;
  const audit = new Database(projectDb, { readonly: true });
  const servedInAudit = audit.prepare(`SELECT count(*) FROM audit_log WHERE outcome = 'served'`).pluck().get() as number;
  const otherInAudit = audit.prepare(`SELECT count(*) FROM audit_log WHERE outcome <> 'served'`).pluck().get() as number;
  const eventsInDb = audit.prepare(`SELECT count(*) FROM delivery_events`).pluck().get() as number;
  audit.close();
  if (receipts) {
    if (receipts.wrong > 0)
      problems.push(`receipts: ${receipts.wrong} callbacks not answered 204, e.g. ${receipts.wrongSamples.join(' | ')}`);
    if (receipts.errors > 0) problems.push(`receipts: ${receipts.errors} connection errors or timeouts`);
    if (eventsInDb !== receipts.verified)
      problems.push(`receipts: ${eventsInDb} delivery events recorded for ${receipts.verified} callbacks answered 204`);
  }
  if (servedInAudit < verifiedLookups)
    problems.push(`the audit log has ${servedInAudit} served lookups, fewer than the ${verifiedLookups} replies verified`);
  if (otherInAudit > 0) problems.push(`the audit log has ${otherInAudit} messages that were not served (refused, limited...)`);
  let pgServedInAudit: number | undefined;
  let pgVerifiedLookups: number | undefined;
  if (postgres) {
    const counts = await auditCounts(postgres.url);
    pgServedInAudit = counts.served;
    pgVerifiedLookups = sum(['pg1', 'pg2'], 'verified') + (statements.postgres?.messages ?? 0);
    if (counts.served < pgVerifiedLookups)
      problems.push(`PostgreSQL's audit log has ${counts.served} served lookups, fewer than the ${pgVerifiedLookups} replies verified`);
    if (counts.other > 0) problems.push(`PostgreSQL's audit log has ${counts.other} messages that were not served`);
  }

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

  const summary = (key: SideKey): WebhookSide => {
    const timed = loadRounds.filter((r) => r.side === key && r.label !== 'warm-up');
    const names = timed[0]?.cpuByProcess.map((p) => p.name) ?? [];
    return {
      requestsPerSecond: median(timed.map((r) => r.requestsPerSecond)),
      p50ms: median(timed.map((r) => r.p50ms)),
      p99ms: median(timed.map((r) => r.p99ms)),
      cpuPerRequestUs: median(timed.map((r) => r.serverCpuPerRequestUs)),
      cpuUse: median(timed.map((r) => r.serverCpuUse)),
      cpuByProcess: names.map((name) => ({ name, use: median(timed.map((r) => r.cpuByProcess.find((p) => p.name === name)?.use ?? 0)) })),
      peakRssMiB: peaks[key],
    };
  };
  const realSide = summary('sqlite');
  const bareSide = summary('bare');
  const floorSide = summary('floor');
  return {
    rounds: loadRounds,
    real: realSide,
    bare: bareSide,
    floor: floorSide,
    pg1: postgres ? summary('pg1') : undefined,
    pg2: postgres ? summary('pg2') : undefined,
    throughputRatio: realSide.requestsPerSecond / bareSide.requestsPerSecond,
    p99Ratio: realSide.p99ms / bareSide.p99ms,
    floorRatio: realSide.requestsPerSecond / floorSide.requestsPerSecond,
    floorVsBare: floorSide.requestsPerSecond / bareSide.requestsPerSecond,
    statements,
    verifiedLookups,
    wrongReplies: sum(['sqlite', 'pg1', 'pg2', 'floor'], 'wrong'),
    bareReplies: sum(['bare'], 'verified'),
    servedInAudit,
    otherInAudit,
    pgServedInAudit,
    pgVerifiedLookups,
    problems,
    profile,
    receipts: receipts ? { round: receipts, eventsInDb } : undefined,
  };
}
