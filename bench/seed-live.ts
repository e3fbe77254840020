/**
 * `npm run bench:seed-live -- [--records 1000000] [--mode strict|skip|both] [--clients 4] [--smoke]`
 *
 * A seed against the live database must not freeze the server. This command starts the real
 * server (`NODE_ENV=production`, the flags of `npm start`) on a database holding 1,000 fake
 * citizens, then loads N more with `npm run seed` (strict, `--skip-invalid`, or both one after the
 * other) while it keeps asking, from other connections:
 * - `GET /healthz` every 50 ms;
 * - signed `TT` lookups of the first 1,000 citizens, from `--clients` loops, one every 20 ms each.
 *
 * It then prints, per mode: the seed's time and result, the slowest `/healthz` answer, the webhook
 * answers by status with the slowest one, and whether the targets hold (every `/healthz` within
 * 1 s; no webhook 5xx; every webhook answer within 5 s, Twilio waits 15 s). It also checks that
 * the seed kept its guarantees: strict mode first loads a file whose LAST row is invalid (nothing
 * may be written, exit 1), then the valid file (all rows written); and that every data reply the
 * clients got has its `served` audit row. Exit 0 when every target held, 1 otherwise, 2 on bad
 * arguments.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeCsvChunks, fakeRow } from '../src/seeding/fake.js';
import { inboundParams, signForm } from '../src/sms/twilioFixtures.js';
import { childEnv } from '../src/testing/processes.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { numberOption, UsageError } from './options.js';
import { killChildrenOnExit, runNode, SEED_JS, SERVER_JS, startServer, stopServer } from './processes.js';
import { SERVER_NODE_FLAGS } from './server-flags.js';

const TOKEN = 'bench-seed-live-token-0123456789';
const PUBLIC_BASE = 'https://sms.example.vn';
const SERVED_CITIZENS = 1_000;
const HEALTH_TARGET_MS = 1_000;
const WEBHOOK_TARGET_MS = 5_000;

interface Answer {
  status: number;
  ms: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function request(port: number, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: text });
      });
    });
    req.on('error', (err) => {
      resolve({ status: 0, ms: performance.now() - started, body: err.message });
    });
    req.end(body);
  });
}

/** Fake rows [0, count) as CSV, and an invalid last row when `badLast` (a strict seed must then write nothing). */
async function writeCsv(file: string, count: number, badLast: boolean): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of fakeCsvChunks(count)) if (!out.write(chunk)) await once(out, 'drain');
  if (badLast) out.write('999999999999,Dòng Hỏng,1990-01-01,Nam,0912000000,,,,,,,,,,\n');
  out.end();
  await once(out, 'finish');
}

/** The registered phone of fake citizen `i`, E.164. */
function phoneOf(i: number): string {
  return fakeRow(i).phone.replace(/^0/, '+84');
}

interface ModeResult {
  mode: string;
  seedSeconds: number;
  seedExit: number | null;
  seedOutput: string;
  citizensAfter: number;
  health: { count: number; maxMs: number; over: number; failed: number };
  webhook: { count: number; byStatus: Record<string, number>; maxMs: number; over: number; served: number };
  auditedServed: number;
  ok: boolean;
  problems: string[];
}

async function runMode(
  dir: string,
  mode: 'strict' | 'strict-bad' | 'skip',
  csv: string,
  clients: number,
  expectCitizens: number,
): Promise<ModeResult> {
  const database = join(dir, `${mode}.db`);
  const seeded = await runNode(
    dir,
    `${mode}-first`,
    [],
    [SEED_JS, '--fake', String(SERVED_CITIZENS)],
    childEnv({ DATABASE_PATH: database }),
    120_000,
  );
  if (seeded.code !== 0) throw new Error(`seeding the first ${SERVED_CITIZENS} citizens failed: ${seeded.stderr}`);
  const server = await startServer(dir, `server-${mode}`, [...SERVER_NODE_FLAGS], SERVER_JS, {
    NODE_ENV: 'production',
    TWILIO_AUTH_TOKEN: TOKEN,
    PUBLIC_BASE_URL: PUBLIC_BASE,
    DATABASE_PATH: database,
    PORT: '0',
    RATE_LIMIT_PER_HOUR: '1000000',
    REPLY_LIMIT_PER_HOUR: '1000000',
  });
  let seeding = true;
  const health: Answer[] = [];
  const hooks: Answer[] = [];
  const healthLoop = async () => {
    while (seeding) {
      health.push(await request(server.port, '/healthz'));
      await sleep(50);
    }
  };
  let next = 0;
  const hookLoop = async () => {
    while (seeding) {
      const i = next++ % SERVED_CITIZENS;
      const params = inboundParams(phoneOf(i), `TT ${fakeRow(i).id_number}`);
      const { body, signature } = signForm(TOKEN, `${PUBLIC_BASE}/sms`, params);
      hooks.push(
        await request(server.port, '/sms', body, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }),
      );
      await sleep(20);
    }
  };
  const started = performance.now();
  const args = mode === 'skip' ? [SEED_JS, csv, '--skip-invalid'] : [SEED_JS, csv];
  const seed = runNode(dir, `${mode}-seed`, [], args, childEnv({ DATABASE_PATH: database }), 1_800_000).finally(() => (seeding = false));
  const loops = [healthLoop(), ...Array.from({ length: clients }, hookLoop)];
  const finished = await seed;
  await Promise.all(loops);
  const seedSeconds = (performance.now() - started) / 1000;
  await stopServer(server);

  const store = openSqliteStore(database, { readonly: true });
  const citizensAfter = (await store.counts()).citizens;
  let auditedServed = 0;
  for (let after = 0; ;) {
    const rows = await store.readAudit(after, 10_000);
    if (rows.length === 0) break;
    auditedServed += rows.filter((r) => r.outcome === 'served').length;
    after = rows[rows.length - 1]?.id ?? after;
  }
  await store.close();

  const byStatus: Record<string, number> = {};
  for (const h of hooks) byStatus[h.status] = (byStatus[h.status] ?? 0) + 1;
  const served = hooks.filter((h) => h.status === 200 && /<Message[^>]*>Ho ten:/.test(h.body)).length;
  const max = (answers: Answer[]) => answers.reduce((m, a) => Math.max(m, a.ms), 0);
  const result: ModeResult = {
    mode,
    seedSeconds,
    seedExit: finished.code,
    // The seed's summary: its last line on stdout (progress goes to stderr), or stderr's last when it wrote none.
    seedOutput: (finished.stdout.trim() || finished.stderr.trim()).split('\n').slice(-1)[0] ?? '',
    citizensAfter,
    health: {
      count: health.length,
      maxMs: max(health),
      over: health.filter((h) => h.ms > HEALTH_TARGET_MS).length,
      failed: health.filter((h) => h.status !== 200).length,
    },
    webhook: { count: hooks.length, byStatus, maxMs: max(hooks), over: hooks.filter((h) => h.ms > WEBHOOK_TARGET_MS).length, served },
    auditedServed,
    ok: true,
    problems: [],
  };
  const problem = (p: string) => {
    result.ok = false;
    result.problems.push(p);
  };
  if (result.health.over > 0 || result.health.failed > 0)
    problem(`/healthz: ${result.health.over} slower than 1 s, ${result.health.failed} not 200`);
  const fivexx = hooks.filter((h) => h.status >= 500 || h.status === 0).length;
  if (fivexx > 0) problem(`webhook: ${fivexx} answers 5xx or failed`);
  if (result.webhook.over > 0) problem(`webhook: ${result.webhook.over} answers slower than 5 s`);
  if (auditedServed < served) problem(`only ${auditedServed} served audit rows for ${served} data replies`);
  if (mode === 'strict-bad') {
    if (finished.code !== 1) problem(`a strict seed with an invalid row exited ${String(finished.code)}, not 1`);
    if (citizensAfter !== SERVED_CITIZENS) problem(`a rejected strict seed wrote rows: ${citizensAfter} citizens`);
  } else {
    if (finished.code !== 0) problem(`the seed exited ${String(finished.code)}`);
    if (citizensAfter !== expectCitizens) problem(`${citizensAfter} citizens after the seed, expected ${expectCitizens}`);
  }
  return result;
}

function print(r: ModeResult): void {
  const ms = (n: number) => `${Math.round(n)} ms`;
  console.log(`\n${r.mode}: seed ${r.seedSeconds.toFixed(1)} s, exit ${String(r.seedExit)}: ${r.seedOutput}`);
  console.log(`  citizens after: ${r.citizensAfter}`);
  console.log(`  /healthz: ${r.health.count} checks, slowest ${ms(r.health.maxMs)}, ${r.health.over} over 1 s, ${r.health.failed} not 200`);
  const statuses = Object.entries(r.webhook.byStatus)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  console.log(`  webhook: ${r.webhook.count} answers (${statuses}), slowest ${ms(r.webhook.maxMs)}, ${r.webhook.over} over 5 s`);
  console.log(`  data replies ${r.webhook.served}, served audit rows ${r.auditedServed}`);
  console.log(`  ${r.ok ? 'PASS' : `MISS: ${r.problems.join('; ')}`}`);
}

async function main(): Promise<number> {
  let records: number;
  let clients: number;
  let modes: ('strict' | 'skip')[];
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        records: { type: 'string' },
        mode: { type: 'string', default: 'both' },
        clients: { type: 'string' },
        smoke: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log('usage: npm run bench:seed-live -- [--records 1000000] [--mode strict|skip|both] [--clients 4] [--smoke]');
      return 0;
    }
    records = numberOption(values.records, 'records', { fallback: values.smoke ? 5_000 : 1_000_000, min: 1_000, max: 10_000_000 });
    clients = numberOption(values.clients, 'clients', { fallback: 4, min: 1, max: 64 });
    if (values.mode !== 'strict' && values.mode !== 'skip' && values.mode !== 'both')
      throw new UsageError('--mode takes strict, skip or both');
    modes = values.mode === 'both' ? ['strict', 'skip'] : [values.mode];
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  killChildrenOnExit();
  const dir = mkdtempSync(join(os.tmpdir(), 'seed-live-'));
  try {
    console.log(
      `seed under load: ${records} records, ${clients} webhook clients; ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    // The first 1,000 rows are in the database already (upserted again); the rest are new.
    const csv = join(dir, 'records.csv');
    await writeCsv(csv, records, false);
    const bad = join(dir, 'records-bad-last.csv');
    await writeCsv(bad, records, true);
    const total = Math.max(records, SERVED_CITIZENS);
    const results: ModeResult[] = [];
    for (const mode of modes) {
      if (mode === 'strict') {
        results.push(await runMode(dir, 'strict-bad', bad, clients, SERVED_CITIZENS));
        print(results[results.length - 1] as ModeResult);
      }
      results.push(await runMode(dir, mode, csv, clients, total));
      print(results[results.length - 1] as ModeResult);
    }
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
