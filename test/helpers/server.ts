// Builds the real app on port 0 over a database of its own, with an injected clock and captured
// log lines, and posts requests signed exactly as Twilio signs them. The database is a temporary
// SQLite file, or a fresh PostgreSQL database on the test run's server (test/postgres-setup.ts):
// the HTTP tests run their cases on both (`describe.each(STORES)`).
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.js';
import type { Citizen } from '../../src/citizens/types.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { ServicePolicy } from '../../src/sms/service.js';
import { inboundParams, signForm, statusParams } from '../../src/sms/twilioFixtures.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore, SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';

export const TOKEN = 'test-auth-token-0123456789abcdef';
export const PUBLIC_BASE = 'https://sms.example.vn';
/** 27 Nov 2026 10:00 in Vietnam (03:00 UTC). */
export const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);

/** The backends a test server can run on. */
export type StoreKind = 'sqlite' | 'postgres';
/** Every backend, for `describe.each(STORES)`. */
export const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface TestServer {
  readonly kind: StoreKind;
  /** The SQLite file, on SQLite; the PostgreSQL database's URL (its administrator's), on PostgreSQL. */
  readonly file: string | undefined;
  readonly databaseUrl: string | undefined;
  url: string;
  store: Store;
  logs: string[];
  clock: { now: number };
  /**
   * Runs one SQL statement on the database from a connection of its own, as another process or an
   * officer at a SQL prompt would (not through the store): its rows, or [] for a statement that
   * returns none.
   */
  sql(text: string, values?: unknown[]): Promise<unknown[]>;
  /** Makes the database unusable under the running app (SQLite: its connection closed; PostgreSQL: the database dropped). */
  breakStore(): Promise<void>;
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
  /** Posts an inbound SMS signed with `token` (default: the right one). */
  sms(from: string, body: string, options?: SmsOptions): Promise<{ status: number; text: string; contentType: string | null }>;
  post(
    path: string,
    init: { body: string; headers: Record<string, string> },
  ): Promise<{ status: number; text: string; contentType: string | null }>;
  /** Closes the app and the store and opens them again on the same database: a restart. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Where a test server keeps its data, and how to reach it from outside the store. */
interface Backend {
  file?: string;
  databaseUrl?: string;
  open(): Promise<Store>;
  sql(text: string, values: unknown[]): Promise<unknown[]>;
  /** Breaks the database under `store`. */
  break(store: Store): Promise<void>;
  remove(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'sms-'));
  const file = join(dir, 'citizens.db');
  return {
    file,
    open: () => Promise.resolve(openSqliteStore(file)),
    sql: (text, values) =>
      Promise.resolve().then(() => {
        const db = new Database(file);
        try {
          const statement = db.prepare(text);
          if (statement.reader) return statement.all(...values);
          statement.run(...values);
          return [];
        } finally {
          db.close();
        }
      }),
    break: (store) => {
      // The store's own connection, closed under it: every statement then throws.
      if (!(store instanceof SqliteStore)) throw new Error('not a SQLite store');
      store.db.close();
      return Promise.resolve();
    },
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const database: TestDatabase = await createMigratedTestDatabase();
  return {
    databaseUrl: database.url,
    open: () => openPostgresStore(database.url),
    sql: (text, values) => database.sql(text, values),
    // Its sessions ended and the database gone: the pool's connections fail, and so do new ones.
    break: () => database.drop(),
    remove: () => database.drop(),
  };
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

/** The test server on `store`, for tests that run on both (`describe.each(STORES)`). */
export function startTestServerOn(
  store: StoreKind,
  citizens: Citizen[] = [],
  policy: Partial<ServicePolicy> = {},
  options: { previousToken?: string; metricsToken?: string; accountSid?: string } = {},
): Promise<TestServer> {
  return startTestServer(citizens, policy, { ...options, store });
}

export async function startTestServer(
  citizens: Citizen[] = [],
  policy: Partial<ServicePolicy> = {},
  options: { previousToken?: string; metricsToken?: string; accountSid?: string; store?: StoreKind } = {},
): Promise<TestServer> {
  const kind = options.store ?? 'sqlite';
  const backend = kind === 'sqlite' ? sqliteBackend() : await postgresBackend();
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
  const t: TestServer = {
    kind,
    file: backend.file,
    databaseUrl: backend.databaseUrl,
    get url() {
      return url();
    },
    get store() {
      return store;
    },
    logs,
    clock,
    sql: (text, values = []) => backend.sql(text, values),
    breakStore: () => backend.break(store),
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
