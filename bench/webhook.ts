/**
 * The webhook half of the benchmark: the real server and the bare Express handler driven with
 * autocannon, A B alternating, every reply checked, then the audit log compared with the replies.
 * Then the cost of delivery receipts: the real server driven with signed status callbacks
 * (`POST /sms/status?ref=…`, `delivered`) for the lookups of the last round, each answered 204.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
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
import { BARE_SERVER_JS, cpuSeconds, HOST, SERVER_JS, serverPeakKiB, startServer, stopServer, type Server } from './processes.js';
import { fmt, fmtInt, median } from './report.js';

const TOKEN = 'bench-local-auth-token-not-a-secret';
const PUBLIC_BASE = 'https://sms.example.vn';
/** Highest request rate the pre-signed pools are sized for before the warm-up has measured one. */
const MAX_EXPECTED_RATE = 15_000;

/** One pre-signed lookup and the name its reply must hold. */
interface SignedLookup {
  body: string;
  signature: string;
  expectedName: string;
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
    return { body, signature, expectedName: '', sid: l.sid, path };
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
    pool.push({ body, signature, expectedName: toGsm7(row.full_name), sid });
  }
  return pool;
}

export interface LoadRound {
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
                path: lookup.path ?? '/sms',
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

export interface WebhookSide {
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** Server CPU time per request (microseconds) and per second of load (1 = one core). */
  cpuPerRequestUs: number;
  cpuUse: number;
  peakRssMiB: number;
}

export interface WebhookResult {
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
  /** The status callback round (each callback of a distinct reply, answered 204), and the events it recorded. */
  receipts: { round: LoadRound; eventsInDb: number } | undefined;
}

/** Starts both servers and drives them A B A B; checks every reply and the audit log. */
export async function runWebhook(dir: string, options: BenchOptions, projectDb: string, servers: Server[]): Promise<WebhookResult> {
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
    status === 200 && body.includes('<Message action=') && body.includes(lookup.expectedName);
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
  let lastLookups: SignedLookup[] = [];
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
    lastLookups = pool.slice(0, a.verified);
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
  // Delivery receipts: one `delivered` callback for each lookup of the last round, once each.
  let receipts: LoadRound | undefined;
  const lastPool = lastLookups;
  if (lastPool.length > 0) {
    receipts = await load('project', 'receipts', real, signCallbacks(lastPool), duration, connections, true, (status) => status === 204);
    console.log(
      `  receipts A real: POST /sms/status ${fmtInt(receipts.requestsPerSecond)} callbacks/s, p50 ${fmt(receipts.p50ms)} ms, p99 ${fmt(receipts.p99ms)} ms, ` +
        `server CPU ${fmtInt(receipts.serverCpuPerRequestUs)} us/callback (${fmtInt(receipts.requests)} callbacks in ${fmt(receipts.seconds)} s)`,
    );
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
    receipts: receipts ? { round: receipts, eventsInDb } : undefined,
  };
}
