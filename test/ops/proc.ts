// Helpers of the operations tests: the real compiled server and tools (dist/, built by
// test/global-setup.ts) as child processes on temporary databases, loopback only, port 0, and an
// HTTP client that tells a complete answer from a refused connection and from a cut one. The
// processes themselves are src/testing/processes.ts's.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeRow } from '../../src/seeding/fake.js';
import { toGsm7 } from '../../src/sms/gsm7.js';
import { inboundParams, newMessageSid, signForm } from '../../src/sms/twilioFixtures.js';
import { childEnv, startServer as startServerProcess, type Exit, type ServerProcess } from '../../src/testing/processes.js';

/** The project folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Fictional secrets of the test processes. */
export const TOKEN = 'ops-current-token-7f3a9c1e5b2d4f60';
/** The URL "entered in Twilio"; the server sits behind an imaginary proxy. */
export const PUBLIC_BASE = 'https://sms.example.vn';

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix = 'ops-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running compiled tool (`dist/src/cli/<name>.js`). */
export interface ToolProcess {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

/** Starts `node dist/src/cli/<name>.js args` without waiting (the event loop stays free). */
export function startTool(name: 'seed' | 'admin', args: string[], env: Record<string, string | undefined>): ToolProcess {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/src/cli', `${name}.js`), ...args], { cwd: ROOT, env: childEnv(env) });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<Exit>((resolve) =>
    proc.on('close', (code, signal) => {
      resolve({ code, signal });
    }),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs a compiled tool to its end. */
export async function runTool(
  name: 'seed' | 'admin',
  args: string[],
  env: Record<string, string | undefined>,
): Promise<Exit & { stdout: string; stderr: string }> {
  const t = startTool(name, args, env);
  const exit = await t.exited;
  return { ...exit, stdout: t.stdout(), stderr: t.stderr() };
}

/** Seeds `count` deterministic fake records (`fakeRow(0..count-1)`) into `databasePath`. */
export async function seedFake(databasePath: string, count: number): Promise<void> {
  const r = await runTool('seed', ['--fake', String(count)], { DATABASE_PATH: databasePath });
  if (r.code !== 0) throw new Error(`seed failed (${r.code}): ${r.stderr}`);
}

/** Seeds `count` deterministic fake records into the PostgreSQL database at `databaseUrl`. */
export async function seedFakePostgres(databaseUrl: string, count: number): Promise<void> {
  const r = await runTool('seed', ['--fake', String(count)], { DATABASE_URL: databaseUrl });
  if (r.code !== 0) throw new Error(`seed failed (${r.code}): ${r.stderr}`);
}

/** The production environment of a test server (port 0, loopback, a signing token). */
export function serverEnv(databasePath: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'production',
    TWILIO_AUTH_TOKEN: TOKEN,
    PUBLIC_BASE_URL: PUBLIC_BASE,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

let servers = 0;

/** Starts the compiled server with `env`; its log files go beside its database, in the test's folder. */
export function startServer(env: Record<string, string | undefined>): Promise<ServerProcess> {
  if (!env.DATABASE_PATH) throw new Error('startServer needs DATABASE_PATH');
  return startServerProcess({ env, dir: dirname(env.DATABASE_PATH), name: `server-${++servers}` });
}

/**
 * The production environment of one node on PostgreSQL: `DATABASE_URL` wins, and `DATABASE_PATH`
 * names a file in `dir` that is never created.
 */
export function nodeEnv(
  databaseUrl: string,
  dir: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return serverEnv(join(dir, 'unused.db'), { DATABASE_URL: databaseUrl, ...extra });
}

/** Starts the compiled server as one node on the PostgreSQL database at `databaseUrl`; its log files go in `dir`. */
export function startNode(databaseUrl: string, dir: string, extra: Record<string, string | undefined> = {}): Promise<ServerProcess> {
  return startServerProcess({ env: nodeEnv(databaseUrl, dir, extra), dir, name: `node-${++servers}` });
}

/** Resolves with the exit, or rejects after `ms`. */
export async function exitWithin(exited: Promise<Exit>, ms: number): Promise<Exit & { ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`process did not exit within ${ms} ms`));
    }, ms);
  });
  try {
    const exit = await Promise.race([exited, timeout]);
    return { ...exit, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** One fake citizen as the tests need it: ID, sender (E.164) and the name a GSM-7 reply shows. */
export interface FakePerson {
  index: number;
  id: string;
  phone: string;
  name: string;
}

/** The `index`-th fake citizen seeded by `seed --fake`. */
export function person(index: number): FakePerson {
  const row = fakeRow(index);
  return { index, id: row.id_number, phone: `+84${row.phone.slice(1)}`, name: toGsm7(row.full_name) };
}

/** A signed webhook request, ready to post. */
export interface SignedRequest {
  sid: string;
  body: string;
  headers: Record<string, string>;
}

/** An inbound SMS signed like Twilio signs it, for `PUBLIC_BASE/sms`. */
export function signedSms(from: string, text: string, options: { token?: string; sid?: string } = {}): SignedRequest {
  const sid = options.sid ?? newMessageSid();
  const params = inboundParams(from, text, { MessageSid: sid });
  const { body, signature } = signForm(options.token ?? TOKEN, `${PUBLIC_BASE}/sms`, params);
  return { sid, body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } };
}

/**
 * What became of one request: a complete response (every byte of its Content-Length), a
 * connection refused or reset before any byte of a response, or a response cut in the middle.
 */
export type Answer =
  | { kind: 'complete'; status: number; body: string; headers: http.IncomingHttpHeaders }
  | { kind: 'refused'; code: string }
  | { kind: 'cut'; detail: string };

/** POSTs `payload` to `url + path` with node:http and classifies the result. */
export function post(
  url: string,
  path: string,
  payload: { body: string; headers: Record<string, string> },
  agent?: http.Agent,
): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    let responded = false;
    const settle = (a: Answer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const req = http.request(
      url + path,
      { method: 'POST', agent: agent ?? false, headers: { ...payload.headers, 'content-length': String(Buffer.byteLength(payload.body)) } },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('aborted', () => {
          settle({ kind: 'cut', detail: 'response aborted' });
        });
        res.on('error', (err) => {
          settle({ kind: 'cut', detail: `response error: ${err.message}` });
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const length = res.headers['content-length'];
          if (!res.complete) settle({ kind: 'cut', detail: 'incomplete response' });
          else if (length !== undefined && Number(length) !== Buffer.byteLength(body)) {
            settle({ kind: 'cut', detail: `got ${Buffer.byteLength(body)} of ${length} bytes` });
          } else settle({ kind: 'complete', status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) settle({ kind: 'cut', detail: `after the headers: ${err.message}` });
      else if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'EPIPE')
        settle({ kind: 'refused', code: err.code });
      else settle({ kind: 'cut', detail: `${err.code ?? ''} ${err.message}` });
    });
    req.end(payload.body);
  });
}

/** GETs `url + path` (no keep-alive) and returns status and body. */
export async function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url + path, { headers });
  return { status: res.status, body: await res.text() };
}

/** A well-formed TwiML reply with one message, which asks for its delivery status at /sms/status. */
export const TWIML_MESSAGE =
  /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Message action="[^"]+\/sms\/status\?ref=(?:SM|MM)[0-9a-f]{32}" method="POST">[^<]*<\/Message><\/Response>$/;
/** A well-formed TwiML reply with no message. */
export const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Damages a SQLite file as a failing disk would: the middle page overwritten with garbage. The
 * file still opens and answers simple queries; `PRAGMA quick_check` finds the damage.
 */
export function damagePage(file: string): void {
  const pageSize = 4096;
  const pages = Math.floor(statSync(file).size / pageSize);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(100, 0xab), 0, 100, Math.floor(pages / 2) * pageSize);
  } finally {
    closeSync(fd);
  }
}
