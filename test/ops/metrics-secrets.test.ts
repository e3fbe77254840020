// What an operator sees (GET /metrics, health, readiness), token rotation, and that secrets never
// leak: not in logs, not in /metrics, not in any response body, not in a start-up error.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizen } from '../../src/testing/citizens.js';
import { startTestServer, TOKEN as HELPER_TOKEN, type TestServer } from '../helpers/server.js';
import { childEnv, type Exit } from '../../src/testing/processes.js';
import {
  exitWithin,
  get,
  person,
  post,
  ROOT,
  runTool,
  seedFake,
  serverEnv,
  signedSms,
  startServer,
  tempDir,
  TOKEN,
  type Answer,
} from './proc.js';

const OWNER = citizen(); // 001099054321, +84912345678
const OTHER = citizen({ idNumber: '079190000111', fullName: 'Trần Thị Khác', sex: 'F', dateOfBirth: '1990-02-03', phone: '+84987654321' });

/** A sample of the text exposition: the value of one series, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics after some traffic', () => {
  const METRICS_TOKEN = 'metrics-bearer-5d1c0a77e2';
  let s: TestServer;
  let text: string;
  beforeAll(async () => {
    s = await startTestServer([OWNER, OTHER], {}, { metricsToken: METRICS_TOKEN });
    // Served lookups, then the 11th in the hour is rate limited.
    for (let i = 0; i < 11; i++) expect((await s.sms(OWNER.phone, `TT ${OWNER.idNumber}`)).status).toBe(200);
    // Five failed verifications lock the sender; the sixth lookup is refused as locked.
    for (let i = 0; i < 6; i++) expect((await s.sms('+84933333333', `TT ${OWNER.idNumber}`)).status).toBe(200);
    await s.sms(OTHER.phone, 'HD');
    expect((await s.sms(OWNER.phone, 'TT 001099054321', { token: 'wrong-token' })).status).toBe(403);
    expect((await s.sms(OWNER.phone, 'TT 001099054321', { unsigned: true })).status).toBe(400);
    const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await res.text();
  });
  afterAll(async () => s.close());

  it('counts messages by command and outcome', () => {
    expect(text).toContain('# TYPE sms_messages_total counter');
    expect(sample(text, 'sms_messages_total', { command: 'TT', outcome: 'served' })).toBe(10);
    expect(sample(text, 'sms_messages_total', { command: 'TT', outcome: 'rate_limited' })).toBe(1);
    expect(sample(text, 'sms_messages_total', { command: 'TT', outcome: 'refused' })).toBe(5);
    expect(sample(text, 'sms_messages_total', { command: 'TT', outcome: 'locked' })).toBe(1);
    expect(sample(text, 'sms_messages_total', { command: 'HELP', outcome: 'help' })).toBe(1);
  });

  it('counts reply segments, signature failures and limited senders', () => {
    expect(sample(text, 'sms_reply_segments_total')).toBeGreaterThanOrEqual(18);
    expect(sample(text, 'sms_signature_failures_total', { reason: 'invalid' })).toBe(1);
    expect(sample(text, 'sms_signature_failures_total', { reason: 'missing' })).toBe(1);
    expect(sample(text, 'sms_limited_total', { kind: 'rate_limited' })).toBe(1);
    expect(sample(text, 'sms_limited_total', { kind: 'locked' })).toBe(1);
  });

  it('has a webhook latency histogram by status', () => {
    expect(text).toContain('# TYPE sms_webhook_duration_seconds histogram');
    expect(sample(text, 'sms_webhook_duration_seconds_count', { status: '200' })).toBe(18);
    expect(sample(text, 'sms_webhook_duration_seconds_count', { status: '403' })).toBe(1);
    expect(sample(text, 'sms_webhook_duration_seconds_bucket', { status: '200', le: '+Inf' })).toBe(18);
    expect(sample(text, 'sms_webhook_duration_seconds_sum', { status: '200' })).toBeGreaterThan(0);
  });

  it('reports the database size', () => {
    expect(sample(text, 'sms_database_size_bytes')).toBeGreaterThan(0);
  });

  it('is protected by METRICS_TOKEN: 401 without it or with another', async () => {
    const none = await fetch(`${s.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const body = await none.text();
    expect(body).not.toContain('sms_');
    expect(body).not.toContain(METRICS_TOKEN);
    const wrong = await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(METRICS_TOKEN);
  });

  it('reports health and readiness', async () => {
    expect(await get(s.url, '/healthz')).toEqual({ status: 200, body: 'ok' });
    expect(await get(s.url, '/readyz')).toEqual({ status: 200, body: 'ready' });
  });

  it('turns health and readiness to 503 when the database is gone', async () => {
    const other = await startTestServer([OWNER]);
    try {
      await other.store.close();
      expect((await get(other.url, '/healthz')).status).toBe(503);
      expect((await get(other.url, '/readyz')).status).toBe(503);
    } finally {
      await other.close();
    }
  });

  it('answers /readyz 503 when the migrations are not current', async () => {
    const other = await startTestServer([OWNER]);
    try {
      await other.sql('PRAGMA user_version = 1');
      expect((await get(other.url, '/readyz')).status).toBe(503);
      expect((await get(other.url, '/healthz')).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('token rotation (TWILIO_AUTH_TOKEN_PREVIOUS)', () => {
  const PREVIOUS = 'previous-token-9e8d7c6b5a';
  const ROTATION_LINE = 'TWILIO_AUTH_TOKEN_PREVIOUS';
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer([OWNER], {}, { previousToken: PREVIOUS });
  });
  afterAll(async () => s.close());
  const rotationLines = () => s.logs.filter((l) => l.includes(ROTATION_LINE));

  it('accepts the current token without a rotation log line', async () => {
    const res = await s.sms(OWNER.phone, `CC ${OWNER.idNumber}`);
    expect(res.status).toBe(200);
    expect(rotationLines()).toEqual([]);
  });

  it('accepts the previous token and logs each such acceptance, without the token', async () => {
    const res = await s.sms(OWNER.phone, `CC ${OWNER.idNumber}`, { token: PREVIOUS });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Message ');
    await s.sms(OWNER.phone, `CT ${OWNER.idNumber}`, { token: PREVIOUS });
    const lines = rotationLines();
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 40 });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(sample(metrics, 'sms_previous_token_accepted_total')).toBe(2);
    for (const l of s.logs) {
      expect(l).not.toContain(PREVIOUS);
      expect(l).not.toContain(HELPER_TOKEN);
    }
  });

  it('refuses a third token with 403', async () => {
    const before = rotationLines().length;
    const res = await s.sms(OWNER.phone, `CC ${OWNER.idNumber}`, { token: 'some-third-token' });
    expect(res.status).toBe(403);
    expect(res.text).toBe('Forbidden: X-Twilio-Signature does not match');
    expect(rotationLines()).toHaveLength(before);
  });
});

describe('secrets never leak (real process)', () => {
  const SECRETS = {
    TWILIO_AUTH_TOKEN: TOKEN,
    TWILIO_AUTH_TOKEN_PREVIOUS: 'ops-previous-token-1b2c3d4e5f6a7b8c',
    METRICS_TOKEN: 'ops-metrics-token-aa11bb22cc33dd44',
    LOG_HASH_KEY: 'ops-log-hash-key-0f1e2d3c4b5a6978',
  };
  const tmp = tempDir('ops-secrets-');
  const db = join(tmp.dir, 'citizens.db');
  beforeAll(async () => {
    await seedFake(db, 20);
  });
  afterAll(() => {
    tmp.cleanup();
  });

  function expectNoSecret(where: string, text: string) {
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(text.includes(value), `${name} appears in ${where}`).toBe(false);
    }
  }

  it('keeps them out of logs (at trace level), /metrics and every response', async () => {
    const server = await startServer(serverEnv(db, { ...SECRETS, LOG_LEVEL: 'trace' }));
    const bodies: string[] = [];
    const keep = (a: Answer) => {
      bodies.push(JSON.stringify(a));
      return a;
    };
    const p = person(3);
    const q = person(4);
    expect(keep(await post(server.url, '/sms', signedSms(p.phone, `TT ${p.id}`)))).toMatchObject({ status: 200 });
    expect(
      keep(await post(server.url, '/sms', signedSms(p.phone, `CC ${p.id}`, { token: SECRETS.TWILIO_AUTH_TOKEN_PREVIOUS }))),
    ).toMatchObject({ status: 200 });
    expect(keep(await post(server.url, '/sms', signedSms(q.phone, `TT ${p.id}`)))).toMatchObject({ status: 200 });
    expect(keep(await post(server.url, '/sms', signedSms(q.phone, `TT ${q.id}`, { token: 'a-wrong-token' })))).toMatchObject({
      status: 403,
    });
    const unsigned = signedSms(q.phone, `TT ${q.id}`);
    delete unsigned.headers['x-twilio-signature'];
    expect(keep(await post(server.url, '/sms', unsigned))).toMatchObject({ status: 400 });
    const big = signedSms(q.phone, `TT ${q.id} ${'x'.repeat(70_000)}`);
    expect(keep(await post(server.url, '/sms', big))).toMatchObject({ status: 413 });
    expect(keep(await post(server.url, '/sms', { body: '{}', headers: { 'content-type': 'application/json' } }))).toMatchObject({
      status: 415,
    });
    expect(
      keep(await post(server.url, '/sms', { body: 'From=%ZZ', headers: { 'content-type': 'application/x-www-form-urlencoded' } })),
    ).toMatchObject({ status: 400 });
    expect(keep(await post(server.url, '/nowhere', { body: '', headers: {} }))).toMatchObject({ status: 404 });
    const denied = await get(server.url, '/metrics', { authorization: 'Bearer wrong' });
    expect(denied.status).toBe(401);
    bodies.push(denied.body);
    const metrics = await get(server.url, '/metrics', { authorization: `Bearer ${SECRETS.METRICS_TOKEN}` });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('sms_messages_total');
    expect(metrics.body).toContain('process_resident_memory_bytes');
    bodies.push(metrics.body, (await get(server.url, '/healthz')).body, (await get(server.url, '/readyz')).body);

    server.proc.kill('SIGTERM');
    expect(await exitWithin(server.exited, 15_000)).toMatchObject({ code: 0 });
    const output = server.output();
    // The logs did record the traffic, including the rotation warning.
    expect(output).toContain('"msg":"sms"');
    expect(output).toContain('TWILIO_AUTH_TOKEN_PREVIOUS');
    expectNoSecret('the logs', output);
    expectNoSecret('/metrics', metrics.body);
    for (const b of bodies) expectNoSecret('a response', b);
  });

  function startRaw(env: Record<string, string | undefined>): Promise<Exit & { out: string }> {
    const proc = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], { cwd: ROOT, env: childEnv(env) });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    return new Promise((resolve) =>
      proc.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, out });
      }),
    );
  }

  it.each([
    ['an invalid PORT', { PORT: 'not-a-port' }, /^error: Invalid setting PORT: .+\n$/],
    ['an invalid PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://sms.example.vn' }, /^error: Invalid setting PUBLIC_BASE_URL: .+\n$/],
    ['a missing PUBLIC_BASE_URL', { PUBLIC_BASE_URL: '' }, /^error: Missing setting PUBLIC_BASE_URL: .+\n$/],
  ])('stops on %s with one line that echoes no secret', async (_name, bad, expected) => {
    const r = await startRaw(serverEnv(db, { ...SECRETS, ...bad }));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(expected);
    expectNoSecret('the start-up error', r.out);
  });

  it('keeps them out of the admin tools’ output', async () => {
    const r = await runTool('admin', ['stats'], { ...SECRETS, DATABASE_PATH: db });
    expect(r.code).toBe(0);
    expectNoSecret('admin stats', r.stdout + r.stderr);
  });
});
