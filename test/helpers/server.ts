// Builds the real app on port 0 over a temporary SQLite database (or, with startTestServerOn, a
// fresh PostgreSQL database of the run's server), with an injected clock and captured log lines,
// and posts requests signed exactly as Twilio signs them: inbound SMS and status callbacks.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.js';
import type { Citizen } from '../../src/citizens/types.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { ServicePolicy } from '../../src/sms/service.js';
import { inboundParams, signForm, statusParams } from '../../src/sms/twilioFixtures.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { createTestDatabase } from '../../src/testing/postgres.js';

export const TOKEN = 'test-auth-token-0123456789abcdef';
export const PUBLIC_BASE = 'https://sms.example.vn';
/** 27 Nov 2026 10:00 in Vietnam (03:00 UTC). */
export const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);

export interface TestServer<S extends Store = SqliteStore> {
  url: string;
  store: S;
  logs: string[];
  clock: { now: number };
  /** The SQLite file, or the PostgreSQL database's URL. */
  file: string;
  /** Posts an inbound SMS signed with `token` (default: the right one). */
  sms(from: string, body: string, options?: SmsOptions): Promise<{ status: number; text: string; contentType: string | null }>;
  /**
   * Posts a status callback signed as Twilio signs one: to `/sms/status?ref=<ref>` (or `path`),
   * for outbound message `messageSid`, with `extra` parameters (ErrorCode…).
   */
  status(
    ref: string,
    messageSid: string,
    status: string,
    options?: { extra?: Record<string, string>; path?: string; token?: string },
  ): Promise<{ status: number; text: string; contentType: string | null }>;
  post(
    path: string,
    init: { body: string; headers: Record<string, string> },
  ): Promise<{ status: number; text: string; contentType: string | null }>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export interface SmsOptions {
  extra?: Record<string, string>;
  token?: string;
  /** Drop these params before signing (a signed request that lacks them). */
  omit?: string[];
  /** Change these params after signing (a tampered request). */
  tamper?: Record<string, string>;
  /** Send no signature header. */
  unsigned?: boolean;
}

/** Options of the test server. */
export interface TestServerOptions {
  previousToken?: string;
  metricsToken?: string;
  accountSid?: string;
}

/** How a test server opens its database. */
interface Backend<S extends Store> {
  /** The SQLite file or the PostgreSQL URL. */
  file: string;
  open(): Promise<S>;
  remove(): Promise<void>;
}

/** The test server over a temporary SQLite database. */
export async function startTestServer(
  citizens: Citizen[] = [],
  policy: Partial<ServicePolicy> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-'));
  const file = join(dir, 'citizens.db');
  return startServer(
    {
      file,
      open: () => Promise.resolve(openSqliteStore(file)),
      remove: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    },
    citizens,
    policy,
    options,
  );
}

/** The test server over a fresh database of either backend, for tests that run on both. */
export async function startTestServerOn(
  backend: 'sqlite' | 'postgres',
  citizens: Citizen[] = [],
  policy: Partial<ServicePolicy> = {},
  options: TestServerOptions = {},
): Promise<TestServer<Store>> {
  if (backend === 'sqlite') return startTestServer(citizens, policy, options);
  const database = await createTestDatabase();
  return startServer<Store>(
    { file: database.url, open: () => openPostgresStore(database.url), remove: () => database.drop() },
    citizens,
    policy,
    options,
  );
}

async function startServer<S extends Store>(
  backend: Backend<S>,
  citizens: Citizen[],
  policy: Partial<ServicePolicy>,
  options: TestServerOptions,
): Promise<TestServer<S>> {
  const { file } = backend;
  const logs: string[] = [];
  const clock = { now: T0 };
  let store = await backend.open();
  if (citizens.length > 0) {
    const seed = await store.beginSeed({ atomic: true });
    await seed.write(citizens);
    await seed.commit();
  }
  const fullPolicy: ServicePolicy = {
    encoding: 'gsm7',
    allowedCountryCodes: ['84'],
    rateLimitPerHour: 10,
    replyLimitPerHour: 100,
    lockoutFailures: 5,
    lockoutMs: 24 * 3_600_000,
    ...policy,
  };
  const listen = async (): Promise<Server> => {
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      }),
    );
    const app = createApp({
      store,
      logger,
      metrics: createMetrics(() => store.sizeBytes(), { defaults: false }),
      clock: () => clock.now,
      policy: fullPolicy,
      tokens: { current: TOKEN, previous: options.previousToken },
      accountSid: options.accountSid,
      publicBaseUrl: () => PUBLIC_BASE,
      logHashKey: 'test-hash-key',
      metricsToken: options.metricsToken,
    });
    const listening = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    return listening;
  };
  let server = await listen();
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post: TestServer['post'] = async (path, init) => {
    const res = await fetch(url() + path, { method: 'POST', ...init });
    return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
  };
  const t: TestServer<S> = {
    get url() {
      return url();
    },
    get store() {
      return store;
    },
    logs,
    clock,
    file,
    async sms(from, body, opts = {}) {
      const omit = new Set(opts.omit);
      const params = Object.fromEntries(Object.entries(inboundParams(from, body, opts.extra)).filter(([name]) => !omit.has(name)));
      const { signature } = signForm(opts.token ?? TOKEN, `${PUBLIC_BASE}/sms`, params);
      Object.assign(params, opts.tamper);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (!opts.unsigned) headers['x-twilio-signature'] = signature;
      return post('/sms', { body: new URLSearchParams(params).toString(), headers });
    },
    async status(ref, messageSid, status, opts = {}) {
      const path = opts.path ?? `/sms/status?ref=${ref}`;
      const { body, signature } = signForm(opts.token ?? TOKEN, `${PUBLIC_BASE}${path}`, statusParams(messageSid, status, opts.extra));
      return post(path, { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } });
    },
    post,
    async reopen() {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      store = await backend.open();
      server = await listen();
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      await backend.remove();
    },
  };
  return t;
}
