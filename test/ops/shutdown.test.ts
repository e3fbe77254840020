// Graceful shutdown of the real server process: on SIGTERM or SIGINT it stops accepting, answers
// every request it has received, closes the database and exits 0. A client never sees a cut
// answer: each request gets a complete 200 TwiML reply, or a connection refused or reset before
// any byte of a response.
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitWithin, person, post, seedFake, serverEnv, signedSms, startServer, tempDir, TWIML_MESSAGE, type Answer } from './proc.js';

const RECORDS = 200;
const GRACE_MS = 10_000;
const tmp = tempDir('ops-shutdown-');
const db = join(tmp.dir, 'citizens.db');

beforeAll(async () => {
  await seedFake(db, RECORDS);
});
afterAll(() => {
  tmp.cleanup();
});

describe('graceful shutdown', () => {
  it('on SIGTERM mid-burst answers every received request completely, refuses the rest, and exits 0', async () => {
    const server = await startServer(serverEnv(db, { SHUTDOWN_GRACE_MS: String(GRACE_MS) }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 24 });
    let answered = 0;
    let signalledAt = 0;
    const people = Array.from({ length: RECORDS }, (_, i) => person(i));
    // One lookup per registered sender: no rate limit or lockout gets in the way.
    const results = await Promise.all(
      people.map(async (p) => {
        const answer = await post(server.url, '/sms', signedSms(p.phone, `TT ${p.id}`), agent);
        if (++answered === 40) {
          signalledAt = Date.now();
          server.proc.kill('SIGTERM');
        }
        return { p, answer };
      }),
    );
    agent.destroy();
    const exit = await exitWithin(server.exited, GRACE_MS + 5_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);

    const cut = results.filter((r) => r.answer.kind === 'cut');
    expect(cut.map((r) => r.answer)).toEqual([]);
    const complete = results.filter(
      (r): r is { p: (typeof people)[number]; answer: Extract<Answer, { kind: 'complete' }> } => r.answer.kind === 'complete',
    );
    expect(complete.length).toBeGreaterThanOrEqual(40);
    for (const { p, answer } of complete) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatch(TWIML_MESSAGE);
      expect(answer.body).toContain(p.name);
    }
    const logs = server.logs().map((l) => l.msg);
    expect(logs).toContain('shutting down');
    expect(logs).toContain('stopped');
    expect(logs).not.toContain('grace period over: closing remaining connections');

    // Every answered lookup was recorded before its reply went out; the database closed cleanly.
    const check = new Database(db, { readonly: true });
    try {
      const served = check.prepare(`SELECT count(*) FROM audit_log WHERE outcome = 'served'`).pluck().get() as number;
      expect(served).toBeGreaterThanOrEqual(complete.length);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  });

  it('exits 0 on SIGINT without waiting for an idle keep-alive connection, then refuses connections', async () => {
    const server = await startServer(serverEnv(db));
    const p = person(7);
    // The agent keeps its connection open after the answer: idle, it must not delay the exit
    // (the server's keep-alive timeout is 5 s).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await post(server.url, '/sms', signedSms(p.phone, `CC ${p.id}`), agent);
    expect(first).toMatchObject({ kind: 'complete', status: 200 });
    server.proc.kill('SIGINT');
    const exit = await exitWithin(server.exited, GRACE_MS);
    agent.destroy();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(4_000);
    expect(server.logs().find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGINT' });
    const after = await post(server.url, '/sms', signedSms(p.phone, `CC ${p.id}`));
    expect(after).toEqual({ kind: 'refused', code: 'ECONNREFUSED' });
  });

  it('answers a request still arriving when the signal comes, then closes its connection', async () => {
    const server = await startServer(serverEnv(db, { SHUTDOWN_GRACE_MS: String(GRACE_MS) }));
    const p = person(9);
    const { body, headers } = signedSms(p.phone, `TT ${p.id}`);
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    const closedByServer = new Promise<void>((resolve) =>
      socket.once('end', () => {
        resolve();
      }),
    );
    const head = Object.entries({
      ...headers,
      host: 'sms.example.vn',
      connection: 'keep-alive',
      'content-length': String(Buffer.byteLength(body)),
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Headers and half of the body before the signal, the other half after it.
    const half = Math.floor(body.length / 2);
    socket.write(`POST /sms HTTP/1.1\r\n${head}\r\n${body.slice(0, half)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    server.proc.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(body.slice(half));
    await closedByServer;
    const exit = await exitWithin(server.exited, GRACE_MS);
    socket.destroy();
    expect(exit).toMatchObject({ code: 0, signal: null });
    const [status, rest] = [received.slice(0, received.indexOf('\r\n')), received.slice(received.indexOf('\r\n\r\n') + 4)];
    expect(status).toBe('HTTP/1.1 200 OK');
    expect(received.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(Buffer.from(rest, 'latin1').toString('utf8')).toMatch(TWIML_MESSAGE);
    expect(Buffer.from(rest, 'latin1').toString('utf8')).toContain(p.name);
    // No wait for the keep-alive timeout nor for the grace period.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(server.logs().map((l) => l.msg)).not.toContain('grace period over: closing remaining connections');
  });

  it('gives up on a request that never completes only after the grace period, and still exits 0', async () => {
    const grace = 1_500;
    const server = await startServer(serverEnv(db, { SHUTDOWN_GRACE_MS: String(grace) }));
    // A request whose body never ends.
    const stalled = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => stalled.once('connect', resolve));
    const closed = new Promise<void>((resolve) =>
      stalled.once('close', () => {
        resolve();
      }),
    );
    stalled.on('error', () => {});
    stalled.write('POST /sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nFrom=');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    server.proc.kill('SIGTERM');
    const exit = await exitWithin(server.exited, grace + 10_000);
    await closed;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // It waited for the stalled request (at least most of the grace period), then gave up on it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(grace - 200);
    expect(server.logs().map((l) => l.msg)).toContain('grace period over: closing remaining connections');
  });
});
