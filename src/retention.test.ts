import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry } from './testing/audit.js';
import { auditEntry } from './testing/citizens.js';
import { createLogger } from './logger.js';
import { startRetention, type Retention } from './retention.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite.js';
import type { Store } from './store/types.js';

const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);
const MINUTE = 60_000;
let dir: string;
let store: SqliteStore;
let retention: Retention | undefined;
const logs: string[] = [];
const logger = createLogger(
  'debug',
  new Writable({
    write: (c, _e, cb) => {
      logs.push(String(c));
      cb();
    },
  }),
);
const message = (line: string) => (JSON.parse(line) as { msg: string }).msg;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'retention-'));
  store = openSqliteStore(join(dir, 'c.db'));
  logs.length = 0;
});
afterEach(async () => {
  retention?.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('retention', () => {
  it('deletes reply bodies older than the retention at start, by age, whatever the number of messages', async () => {
    await recordEntry(store, auditEntry({ at: T0 - 11 * MINUTE, messageSid: 'SMold' }), 'old');
    await recordEntry(store, auditEntry({ at: T0 - 9 * MINUTE, messageSid: 'SMrecent' }), 'recent');
    let calls = 0;
    const prune = store.pruneExpired.bind(store);
    const counted: Store = Object.assign(Object.create(store) as SqliteStore, {
      pruneExpired: (...args: Parameters<Store['pruneExpired']>) => {
        calls++;
        return prune(...args);
      },
    });
    retention = startRetention({ store: counted, clock: () => T0, logger, replyRetentionMs: 10 * MINUTE, intervalMs: 60_000 });
    await retention.runNow();
    expect(calls).toBe(1); // the run at start, which runNow joined
    expect((await store.counts()).replies).toBe(1);
    expect(logs.map(message)).toContain('retention: expired data deleted');
  });

  it('runs again on its timer as time passes', async () => {
    const clock = { now: T0 };
    await recordEntry(store, auditEntry({ at: T0, messageSid: 'SMa' }), 'a');
    retention = startRetention({ store, clock: () => clock.now, logger, replyRetentionMs: 10 * MINUTE, intervalMs: 5 });
    await retention.runNow();
    expect((await store.counts()).replies).toBe(1);
    clock.now = T0 + 10 * MINUTE + 1;
    for (let i = 0; i < 200 && (await store.counts()).replies > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await store.counts()).replies).toBe(0);
  });

  it('logs a failure without personal data and keeps running', async () => {
    await store.close();
    retention = startRetention({ store, clock: () => T0, logger, replyRetentionMs: MINUTE, intervalMs: 60_000 });
    await retention.runNow();
    expect(logs.map(message)).toContain('retention: deleting expired data failed');
    store = openSqliteStore(join(dir, 'c.db'));
  });
});
