/**
 * `npm run soak -- [--duration 120] [--records 20000] [--connections 16] [--rate 0] [--max-requests 1000000]`
 *
 * Soak test of the real server, on loopback only: starts `dist/src/server.js` in production mode
 * on a temporary database seeded with fake records, drives mixed traffic for a bounded time and a
 * bounded number of requests, samples the server's RSS every second, stops it with SIGTERM, and
 * checks:
 *   - no 5xx and no connection error; every answer is the one expected for its kind of request;
 *   - no crash: the server is alive at the end and exits 0 on SIGTERM;
 *   - RSS growth over the second half below 10% (`--max-rss-growth`);
 *   - audited served replies (audit_log rows with outcome 'served') equal the served replies the
 *     client counted (replies with the citizen's name, redeliveries of a MessageSid excluded).
 * Prints a report and exits 0 when every check passes, 1 otherwise (2: bad arguments).
 *
 * Traffic: TT lookups from registered phones; wrong IDs (someone else's ID from a registered
 * phone, or an unregistered phone); bad signatures; STOP then START; redeliveries of an answered
 * MessageSid (the reply must be byte-identical); bodies over 64 KiB; health and metrics probes.
 * The production limits stay on (10 lookups per sender per hour, lockout after 5 failures):
 * lookups go round-robin over the registered phones, so a sender rarely reaches them, and
 * rate-limited or locked answers are simply not served replies on either side of the count.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { fakeRow, mulberry32 } from '../src/seeding/fake.js';
import { toGsm7 } from '../src/sms/gsm7.js';
import { inboundParams, newMessageSid, signForm } from '../src/sms/twilioFixtures.js';
import { childEnv, startServer as startServerProcess, type ServerProcess } from '../src/testing/processes.js';
import { numberOption } from './options.js';
import { SERVER_NODE_FLAGS } from './server-flags.js';

const USAGE =
  'usage: npm run soak -- [--duration 120] [--records 20000] [--connections 16] [--rate 0] [--max-requests 1000000] [--max-rss-growth 10] [--keep]';

const TOKEN = 'soak-local-token-not-a-secret';
const WRONG_TOKEN = 'soak-wrong-token';
const PUBLIC_BASE = 'https://sms.example.vn';
const HOST = '127.0.0.1';
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const MESSAGE_TWIML =
  /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Message action="[^"]+" method="POST">[^<]+<\/Message><\/Response>$/;
const DIST = fileURLToPath(new URL('../src/', import.meta.url));

type Kind = 'lookup' | 'wrong_id' | 'bad_signature' | 'stop_start' | 'duplicate' | 'oversize' | 'probe';
const WEIGHTS: [Kind, number][] = [
  ['lookup', 50],
  ['wrong_id', 12],
  ['bad_signature', 8],
  ['stop_start', 6],
  ['duplicate', 12],
  ['oversize', 4],
  ['probe', 8],
];
const KINDS = WEIGHTS.map(([k]) => k);

interface Options {
  duration: number;
  records: number;
  connections: number;
  rate: number;
  maxRequests: number;
  maxRssGrowth: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      records: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      'max-requests': { type: 'string' },
      'max-rss-growth': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    duration: numberOption(values.duration, 'duration', { fallback: 120, min: 1, max: 86_400 }),
    records: numberOption(values.records, 'records', { fallback: 20_000, min: 100, max: 1_000_000 }),
    connections: numberOption(values.connections, 'connections', { fallback: 16, min: 1, max: 256 }),
    rate: numberOption(values.rate, 'rate', { fallback: 0, min: 0, max: 100_000 }),
    maxRequests: numberOption(values['max-requests'], 'max-requests', { fallback: 1_000_000, min: 1, max: 100_000_000 }),
    maxRssGrowth: numberOption(values['max-rss-growth'], 'max-rss-growth', { fallback: 10, min: 1, max: 1000 }),
    keep: values.keep,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The server process

async function run(cmd: string[], env: Record<string, string | undefined>): Promise<void> {
  const proc = spawn(process.execPath, cmd, { env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed (${code}): ${err}`);
}

/** The server in production mode; its logs go to files, as they would to journald: the soak does not read them while it runs. */
function startServer(dir: string, databasePath: string): Promise<ServerProcess> {
  return startServerProcess({
    dir,
    nodeArgs: SERVER_NODE_FLAGS,
    env: {
      NODE_ENV: 'production',
      TWILIO_AUTH_TOKEN: TOKEN,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      HOST,
      PORT: '0',
      DATABASE_PATH: databasePath,
      LOG_LEVEL: 'info',
    },
  });
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Reply {
  status: number;
  body: string;
}

type Outcome = { ok: true; reply: Reply } | { ok: false; error: string };

function request(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path,
        agent,
        timeout: 30_000,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => {
          resolve({ ok: false, error: `response: ${err.message}` });
        });
        res.on('end', () => {
          if (!res.complete) resolve({ ok: false, error: 'incomplete response' });
          else resolve({ ok: true, reply: { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') } });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, error: err.code ?? err.message });
    });
    req.end(body);
  });
}

interface Signed {
  sid: string;
  body: string;
  headers: Record<string, string>;
}

function sign(from: string, text: string, token = TOKEN): Signed {
  const sid = newMessageSid();
  const params = inboundParams(from, text, { MessageSid: sid });
  const { body, signature } = signForm(token, `${PUBLIC_BASE}/sms`, params);
  return { sid, body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } };
}

interface Person {
  id: string;
  phone: string;
  name: string;
}

function person(index: number): Person {
  const row = fakeRow(index);
  return { id: row.id_number, phone: `+84${row.phone.slice(1)}`, name: toGsm7(row.full_name) };
}

/** A valid Vietnamese mobile number that no fake record uses (their 7-digit part stays below 9,000,000). */
function unregistered(n: number): string {
  return `+8490${9_000_000 + (n % 1_000_000)}`;
}

// ---------------------------------------------------------------------------------------------
// The soak

interface KindStats {
  sent: number;
  statuses: Map<string, number>;
  unexpected: number;
}

interface Tally {
  kinds: Map<Kind, KindStats>;
  total: number;
  served: number;
  rateLimitedOrLocked: number;
  errors: Map<string, number>;
  unexpectedSamples: string[];
  fivexx: number;
}

function newTally(): Tally {
  return {
    kinds: new Map(KINDS.map((k) => [k, { sent: 0, statuses: new Map(), unexpected: 0 }])),
    total: 0,
    served: 0,
    rateLimitedOrLocked: 0,
    errors: new Map(),
    unexpectedSamples: [],
    fivexx: 0,
  };
}

async function soak(options: Options, server: ServerProcess, tally: Tally, stopAt: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const rand = mulberry32(20261127);
  const totalWeight = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const lookupPool = options.records;
  const answered: { signed: Signed; reply: string }[] = [];
  let nextLookup = 0;
  let nextUnregistered = 0;
  let issued = 0;
  const started = Date.now();

  const pickKind = (): Kind => {
    let r = rand() * totalWeight;
    for (const [k, w] of WEIGHTS) if ((r -= w) < 0) return k;
    return 'lookup';
  };

  const record = (kind: Kind, outcome: Outcome, expected: (r: Reply) => boolean, context: string): Reply | undefined => {
    const k = tally.kinds.get(kind) as KindStats;
    tally.total++;
    if (!outcome.ok) {
      tally.errors.set(outcome.error, (tally.errors.get(outcome.error) ?? 0) + 1);
      k.statuses.set('error', (k.statuses.get('error') ?? 0) + 1);
      return undefined;
    }
    const { reply } = outcome;
    k.statuses.set(String(reply.status), (k.statuses.get(String(reply.status)) ?? 0) + 1);
    if (reply.status >= 500) tally.fivexx++;
    if (!expected(reply)) {
      k.unexpected++;
      if (tally.unexpectedSamples.length < 5)
        tally.unexpectedSamples.push(`${kind} (${context}): ${reply.status} ${reply.body.slice(0, 160)}`);
    }
    return reply;
  };

  const remember = (signed: Signed, reply: Reply) => {
    if (answered.length < 2_000) answered.push({ signed, reply: reply.body });
    else answered[Math.floor(rand() * answered.length)] = { signed, reply: reply.body };
  };

  const isMessage = (r: Reply) => r.status === 200 && MESSAGE_TWIML.test(r.body);

  const one = async (kind: Kind): Promise<void> => {
    const post = (s: Signed) => request(agent, server.port, 'POST', '/sms', s.body, s.headers);
    switch (kind) {
      case 'lookup': {
        const p = person(nextLookup++ % lookupPool);
        const signed = sign(p.phone, `TT ${p.id}`);
        const reply = record(kind, await post(signed), isMessage, 'own record');
        if (!reply || reply.status !== 200) return;
        if (reply.body.includes(p.name)) tally.served++;
        else tally.rateLimitedOrLocked++;
        remember(signed, reply);
        return;
      }
      case 'wrong_id': {
        const owner = person(Math.floor(rand() * lookupPool));
        const asker = rand() < 0.5 ? person(Math.floor(rand() * lookupPool)) : undefined;
        const from = asker && asker.phone !== owner.phone ? asker.phone : unregistered(nextUnregistered++);
        const signed = sign(from, `TT ${owner.id}`);
        // Someone else's record: a refusal (or a limit), never the owner's data.
        const reply = record(kind, await post(signed), (r) => isMessage(r) && !r.body.includes(owner.name), 'someone else’s ID');
        if (reply?.status === 200) remember(signed, reply);
        return;
      }
      case 'bad_signature': {
        const p = person(Math.floor(rand() * lookupPool));
        record(
          kind,
          await post(sign(p.phone, `TT ${p.id}`, WRONG_TOKEN)),
          (r) => r.status === 403 && !r.body.includes(p.name),
          'wrong token',
        );
        return;
      }
      case 'stop_start': {
        const from = unregistered(500_000 + nextUnregistered++);
        const stop = record(kind, await post(sign(from, 'STOP')), (r) => r.status === 200 && r.body === EMPTY_TWIML, 'STOP');
        if (!stop) return;
        record(kind, await post(sign(from, 'START')), isMessage, 'START');
        return;
      }
      case 'duplicate': {
        const earlier = answered[Math.floor(rand() * answered.length)];
        if (!earlier) {
          // Nothing answered yet to redeliver: a lookup instead.
          (tally.kinds.get('duplicate') as KindStats).sent--;
          (tally.kinds.get('lookup') as KindStats).sent++;
          return one('lookup');
        }
        // A redelivery: same MessageSid, same signed bytes; the same reply, and not a new serve.
        record(kind, await post(earlier.signed), (r) => r.status === 200 && r.body === earlier.reply, 'redelivery');
        return;
      }
      case 'oversize': {
        const p = person(Math.floor(rand() * lookupPool));
        const signed = sign(p.phone, `TT ${p.id} ${'x'.repeat(66_000)}`);
        record(kind, await post(signed), (r) => r.status === 413, 'body over 64 KiB');
        return;
      }
      case 'probe': {
        const path = ['/healthz', '/readyz', '/metrics'][Math.floor(rand() * 3)] as string;
        record(kind, await request(agent, server.port, 'GET', path), (r) => r.status === 200, path);
        return;
      }
    }
  };

  const worker = async () => {
    while (Date.now() < stopAt && issued < options.maxRequests && !server.hasExited()) {
      issued++;
      if (options.rate > 0) {
        const due = started + (issued * 1000) / options.rate;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const kind = pickKind();
      (tally.kinds.get(kind) as KindStats).sent++;
      await one(kind);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(1));

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!existsSync(join(DIST, 'server.js'))) {
    console.error('error: dist/src/server.js is missing: run `npm run build` (npm run soak does)');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'soak-'));
  const databasePath = join(dir, 'citizens.db');
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  let server: ServerProcess | undefined;
  try {
    say(
      `soak: ${options.duration} s, ${options.records} fake records, ${options.connections} connections, ` +
        `${options.rate > 0 ? `${options.rate} req/s` : 'no rate cap'}, at most ${options.maxRequests} requests, loopback ${HOST}`,
    );
    say('limits: production defaults (10 lookups per sender per hour, lockout after 5 failures in 24 h)');
    const seedStarted = Date.now();
    await run([join(DIST, 'cli/seed.js'), '--fake', String(options.records)], { DATABASE_PATH: databasePath });
    say(`seeded ${options.records} records in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    server = await startServer(dir, databasePath);
    const srv = server;
    const samples: { t: number; kib: number }[] = [];
    const t0 = Date.now();
    const stopAt = t0 + options.duration * 1000;
    const sample = () => {
      const kib = rssKiB(srv.pid);
      if (kib !== undefined) samples.push({ t: (Date.now() - t0) / 1000, kib });
    };
    sample();
    const sampler = setInterval(sample, 1000);
    const progress = setInterval(() => {
      const last = samples[samples.length - 1];
      process.stderr.write(`  ${Math.round((Date.now() - t0) / 1000)} s: ${tally.total} requests, server RSS ${mib(last?.kib)} MiB\n`);
    }, 10_000);
    const tally = newTally();
    await soak(options, srv, tally, stopAt);
    const elapsed = (Date.now() - t0) / 1000;
    sample();
    clearInterval(sampler);
    clearInterval(progress);

    // No crash: still alive, then a clean stop.
    const aliveAtEnd = !srv.hasExited() && rssKiB(srv.pid) !== undefined;
    srv.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      srv.exited,
      new Promise<undefined>(
        (resolve) =>
          (timer = setTimeout(() => {
            resolve(undefined);
          }, 20_000)),
      ),
    ]);
    clearTimeout(timer);
    if (!exit) srv.proc.kill('SIGKILL');
    server = undefined;

    const db = new Database(databasePath, { readonly: true });
    const byOutcome = db.prepare(`SELECT outcome, count(*) AS n FROM audit_log GROUP BY outcome ORDER BY outcome`).all() as {
      outcome: string;
      n: number;
    }[];
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    db.close();
    const audited = byOutcome.find((r) => r.outcome === 'served')?.n ?? 0;
    const log = readFileSync(srv.logFile, 'utf8');
    const errorLines = log.split('\n').filter((l) => /"level":(50|60)/.test(l)).length;

    say();
    say(`requests: ${tally.total} in ${elapsed.toFixed(1)} s (${Math.round(tally.total / elapsed)}/s)`);
    say(`  ${'kind'.padEnd(14)}${'sent'.padStart(8)}  answers (status: count)${' '.repeat(14)}unexpected`);
    for (const [kind, k] of tally.kinds) {
      const statuses = [...k.statuses]
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      say(`  ${kind.padEnd(14)}${String(k.sent).padStart(8)}  ${statuses.padEnd(37)}${k.unexpected}`);
    }
    if (tally.errors.size > 0) say(`  connection errors: ${[...tally.errors].map(([e, n]) => `${e} x${n}`).join(', ')}`);
    for (const s of tally.unexpectedSamples) say(`  unexpected: ${s}`);
    say(`lookups: ${tally.served} served, ${tally.rateLimitedOrLocked} rate-limited or locked`);
    say(
      `audit log: ${byOutcome.map((r) => `${r.outcome} ${r.n}`).join(', ')}; integrity ${integrity}; server error log lines ${errorLines}`,
    );

    const start = samples[0]?.kib;
    const half = elapsed / 2;
    const midKib = median(
      samples.filter((s) => s.t >= half - Math.max(1, elapsed * 0.05) && s.t <= half + Math.max(1, elapsed * 0.05)).map((s) => s.kib),
    );
    const tail = samples.filter((s) => s.t >= elapsed - Math.max(1, elapsed * 0.05));
    const endKib = median(tail.map((s) => s.kib));
    const peak = Math.max(...samples.map((s) => s.kib));
    const growth = midKib && endKib ? ((endKib - midKib) / midKib) * 100 : Number.NaN;
    say(`server RSS (MiB): start ${mib(start)}, mid ${mib(midKib)}, end ${mib(endKib)}, peak ${mib(peak)}; ${samples.length} samples`);

    const unexpected = [...tally.kinds.values()].reduce((s, k) => s + k.unexpected, 0);
    const errors = [...tally.errors.values()].reduce((s, n) => s + n, 0);
    const checks: [string, boolean][] = [
      [`no 5xx (${tally.fivexx})`, tally.fivexx === 0],
      [`no connection error (${errors})`, errors === 0],
      [`every answer as expected for its kind (${unexpected} unexpected)`, unexpected === 0],
      [`no crash: alive at the end, SIGTERM exit ${exit ? (exit.code ?? exit.signal) : 'timed out'}`, aliveAtEnd && exit?.code === 0],
      [
        `RSS growth over the second half ${Number.isNaN(growth) ? 'unknown' : `${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%`} < ${options.maxRssGrowth}%`,
        growth < options.maxRssGrowth,
      ],
      [`audited served replies ${audited} == served replies counted by the client ${tally.served}`, audited === tally.served],
      [`database integrity ${integrity}`, integrity === 'ok'],
    ];
    say();
    for (const [text, ok] of checks) say(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
    const passed = checks.every(([, ok]) => ok);
    say(passed ? 'soak: all checks passed' : 'soak: FAILED');
    if (options.keep) say(`kept: ${dir}`);
    return passed ? 0 : 1;
  } finally {
    if (server && !server.hasExited()) server.proc.kill('SIGKILL');
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
