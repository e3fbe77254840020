// Builds the real app on port 0 over a temporary SQLite database, with an injected clock and
// captured log lines, and posts requests signed exactly as Twilio signs them.
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
import { inboundParams, signForm } from '../../src/sms/twilioFixtures.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';

export const TOKEN = 'test-auth-token-0123456789abcdef';
export const PUBLIC_BASE = 'https://sms.example.vn';
/** 27 Nov 2026 10:00 in Vietnam (03:00 UTC). */
export const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);

export interface TestServer {
  url: string;
  store: SqliteStore;
  logs: string[];
  clock: { now: number };
  file: string;
  /** Posts an inbound SMS signed with `token` (default: the right one). */
  sms(from: string, body: string, options?: SmsOptions): Promise<{ status: number; text: string; contentType: string | null }>;
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

export async function startTestServer(
  citizens: Citizen[] = [],
  policy: Partial<ServicePolicy> = {},
  options: { previousToken?: string; metricsToken?: string; accountSid?: string } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-'));
  const file = join(dir, 'citizens.db');
  const logs: string[] = [];
  const clock = { now: T0 };
  let store = openSqliteStore(file);
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
    post,
    async reopen() {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      store = openSqliteStore(file);
      server = await listen();
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
