/**
 * The store contract: one suite of cases that every {@link Store} backend must pass, run against
 * real databases (`contract.test.ts`). Nothing is mocked at the database. A backend's fixture
 * opens a fresh, empty database, and a second store on the same database (another connection, or
 * another node) for the cases about several writers.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { afterLookup, EMPTY_SENDER, senderAt, senderExpiresAt, withOptOut, type SenderLimits } from '../audit/senders.js';
import type { AuditEntry, DeliveryEvent } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { citizen as fictionalCitizen } from '../testing/citizens.js';
import { recordEntry } from '../testing/audit.js';
import { createTestDatabase } from '../testing/postgres.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Admission, Decide, Store, Verdict } from './types.js';
import { GENESIS, LATE_COMMIT_LIMIT_MS } from '../audit/chain.js';
import { verifyAudit } from '../auditVerify.js';

/** A fresh database, and how to reach it again. */
interface StoreFixture {
  store: Store;
  /** Another store on the same database, as a second node or process would open it. */
  twin(): Promise<Store>;
  /**
   * Runs SQL straight on the database, from a connection of its own (as someone with write access
   * to it would, not through the store): the rows, or [] for a statement that returns none.
   * Statements are separated by `;` and run in order.
   */
  sql(text: string): Promise<unknown[]>;
  /** Closes what the fixture opened and removes the database. */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);
const HOUR = 3_600_000;
const LIMITS: SenderLimits = { lookupsPerHour: 10, repliesPerHour: 100, lockoutFailures: 5, lockoutMs: 24 * HOUR };
const PHONE = '+84912345678';

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    messageSid: 'SM0001',
    sender: PHONE,
    command: 'TT',
    targetId: '001099054321',
    outcome: 'served',
    segments: 2,
    ...overrides,
  };
}

let sid = 0;
const nextSid = () => `SM${String(++sid).padStart(32, '0')}`;

/**
 * A lookup decided the way the service decides one, within the hourly limit: served while the
 * sender has lookups left, rate_limited after.
 */
function limitedLookup(at: number, reply = 'ok'): Decide {
  return ({ sender }): Verdict => {
    const state = senderAt(sender, at, LIMITS);
    if (state.lookups.length >= LIMITS.lookupsPerHour) {
      return {
        command: 'TT',
        outcome: 'rate_limited',
        segments: 1,
        twiml: 'limited',
        sender: { state, expiresAt: senderExpiresAt(state, LIMITS) },
      };
    }
    const next = afterLookup(state, at, true, LIMITS);
    return {
      command: 'TT',
      outcome: 'served',
      segments: 1,
      twiml: reply,
      sender: { state: next, expiresAt: senderExpiresAt(next, LIMITS) },
    };
  };
}

function lookupAdmission(at: number, overrides: Partial<Admission> = {}): Admission {
  return { at, messageSid: nextSid(), sender: PHONE, tracked: true, targetId: '001099054321', ...overrides };
}

async function seed(store: Store, citizens: Citizen[]): Promise<void> {
  const session = await store.beginSeed({ atomic: true });
  await session.write(citizens);
  await session.commit();
}

/** Runs the contract against one backend. `open` gives a fresh, empty database each time. */
function storeContract(name: string, open: () => Promise<StoreFixture>): void {
  const withStore = (fn: (f: StoreFixture) => Promise<void>) => async () => {
    const f = await open();
    try {
      await fn(f);
    } finally {
      await f.cleanup();
    }
  };

  describe(`store contract: ${name}`, () => {
    describe('citizens and seeding', () => {
      it(
        'inserts, then updates by ID number, and counts each; a missing ID is undefined',
        withStore(async ({ store }) => {
          const s1 = await store.beginSeed({ atomic: true });
          await s1.write([fictionalCitizen(), fictionalCitizen({ idNumber: '001199012346', sex: 'F' })]);
          expect(await s1.commit()).toEqual({ inserted: 2, updated: 0 });
          const s2 = await store.beginSeed({ atomic: false });
          await s2.write([
            fictionalCitizen({ fullName: 'Trần Thị Mới' }),
            fictionalCitizen({ idNumber: '079300000001', dateOfBirth: '2000-01-01' }),
          ]);
          expect(await s2.commit()).toEqual({ inserted: 1, updated: 1 });
          expect(await store.findCitizen('001099054321')).toEqual(fictionalCitizen({ fullName: 'Trần Thị Mới' }));
          expect(await store.findCitizen('999999999999')).toBeUndefined();
          expect((await store.counts()).citizens).toBe(3);
        }),
      );

      it(
        'an atomic run is invisible until it commits, and a rollback leaves nothing',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin();
          const s = await store.beginSeed({ atomic: true });
          await s.write([fictionalCitizen()]);
          expect(await other.findCitizen('001099054321')).toBeUndefined();
          await s.rollback();
          expect((await store.counts()).citizens).toBe(0);
          const again = await store.beginSeed({ atomic: true });
          await again.write([fictionalCitizen()]);
          await again.commit();
          expect((await other.findCitizen('001099054321'))?.fullName).toBe('Nguyễn Văn Thử');
        }),
      );

      it(
        'round-trips every field, nulls and markup included',
        withStore(async ({ store }) => {
          const c = fictionalCitizen({
            temporaryAddress: 'Tạm trú <&> "x" \'y\'',
            cardIssuedOn: null,
            religion: null,
            cardExpiresOn: '2031-04-01',
          });
          await seed(store, [c]);
          expect(await store.findCitizen(c.idNumber)).toEqual(c);
        }),
      );

      it(
        'a non-atomic run keeps the batches written before a rollback',
        withStore(async ({ store }) => {
          const s = await store.beginSeed({ atomic: false });
          await s.write([fictionalCitizen()]);
          await s.rollback();
          expect((await store.counts()).citizens).toBe(1);
        }),
      );
    });

    describe('admit: the decision and its record, as one step', () => {
      it(
        'hands decide the sender state, the record and its history, and records the verdict',
        withStore(async ({ store }) => {
          await seed(store, [fictionalCitizen()]);
          await recordEntry(store, entry({ at: T0 - 10, messageSid: 'SMearlier', sender: '+84971234111', outcome: 'refused' }));
          let seen: Parameters<Decide>[0] | undefined;
          const admitted = await store.admit(
            { ...lookupAdmission(T0), messageSid: 'SMfirst', history: { limit: 5, since: T0 - HOUR } },
            (context) => {
              seen = context;
              return { command: 'LS', outcome: 'served', segments: 1, twiml: '<Response><Message>x</Message></Response>' };
            },
          );
          expect(admitted).toMatchObject({ duplicate: false, verdict: { outcome: 'served' } });
          expect(seen?.sender).toEqual(EMPTY_SENDER);
          expect(seen?.citizen?.idNumber).toBe('001099054321');
          expect(seen?.history).toEqual({
            entries: [{ at: T0 - 10, command: 'TT', outcome: 'refused', sender: '+84971234111', bySelf: false }],
            total: 1,
          });
          const rows = await store.readAudit(0, 10);
          expect(rows.map(({ id: _id, ...rest }) => rest)).toEqual([
            entry({ at: T0 - 10, messageSid: 'SMearlier', sender: '+84971234111', outcome: 'refused' }),
            entry({ messageSid: 'SMfirst', command: 'LS', segments: 1 }),
          ]);
        }),
      );

      it(
        'gives no record and no history for a missing ID',
        withStore(async ({ store }) => {
          let seen: Parameters<Decide>[0] | undefined;
          await store.admit({ ...lookupAdmission(T0), targetId: '999999999999', history: { limit: 5, since: 0 } }, (c) => {
            seen = c;
            return { command: 'LS', outcome: 'refused', segments: 1, twiml: 'no' };
          });
          expect(seen).toEqual({ sender: EMPTY_SENDER, citizen: undefined, history: undefined });
        }),
      );

      it(
        'keeps the sender state written by one admission for the next, and none for untracked senders',
        withStore(async ({ store }) => {
          for (let i = 0; i < 3; i++) await store.admit(lookupAdmission(T0 + i), limitedLookup(T0 + i));
          expect((await store.senderState(PHONE)).lookups).toEqual([T0 + 2, T0 + 1, T0]);
          await store.admit(lookupAdmission(T0, { sender: 'client:alice', tracked: false }), limitedLookup(T0));
          expect(await store.senderState('client:alice')).toEqual(EMPTY_SENDER);
          expect((await store.counts()).senders).toBe(1);
        }),
      );

      it(
        'a decide that throws fails that message alone and records nothing for it',
        withStore(async ({ store }) => {
          const bad = store.admit(lookupAdmission(T0), () => {
            throw new Error('policy bug');
          });
          const good = store.admit(lookupAdmission(T0), limitedLookup(T0));
          await expect(bad).rejects.toThrow('policy bug');
          await expect(good).resolves.toMatchObject({ duplicate: false });
          expect((await store.counts()).auditLog).toBe(1);
        }),
      );

      it(
        'holds the hourly limit exactly under 50 concurrent lookups from one sender on two stores',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin();
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? store : other).admit(lookupAdmission(T0 + i), limitedLookup(T0 + i))),
          );
          const outcomes = results.map((r) => (r.duplicate ? 'duplicate' : r.verdict.outcome));
          expect(outcomes.filter((o) => o === 'served')).toHaveLength(10);
          expect(outcomes.filter((o) => o === 'rate_limited')).toHaveLength(40);
          const rows = await store.readAudit(0, 100);
          expect(rows.filter((r) => r.outcome === 'served')).toHaveLength(10);
          expect((await store.senderState(PHONE)).lookups).toHaveLength(10);
        }),
      );

      it(
        'hands each of 30 concurrent admissions on two stores the state the one before left, while the row is deleted and made again',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin();
          // Each admission adds a lookup; the third one deletes the row (expiry 0), so the next starts from none.
          const seen: number[] = [];
          const cycle =
            (at: number): Decide =>
            ({ sender }) => {
              seen.push(sender.lookups.length);
              const lookups = [...sender.lookups, at];
              const reset = lookups.length === 3;
              return {
                command: 'TT',
                outcome: 'served',
                segments: 1,
                twiml: 'ok',
                sender: { state: { ...sender, lookups: reset ? [] : lookups }, expiresAt: reset ? 0 : at + HOUR },
              };
            };
          await Promise.all(
            Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? store : other).admit(lookupAdmission(T0 + i), cycle(T0 + i))),
          );
          // Run one after another, they see 0, 1, 2, 0, 1, 2, ...: two that saw the same state at once would break the count.
          expect([...seen].sort()).toEqual(Array.from({ length: 30 }, (_, i) => i % 3).sort());
          expect((await store.senderState(PHONE)).lookups).toHaveLength(0);
          expect((await store.counts()).senders).toBe(0);
        }),
      );
    });

    describe('redeliveries of one MessageSid', () => {
      it(
        'gives the first reply again, records nothing more and leaves the state alone',
        withStore(async ({ store }) => {
          const a = lookupAdmission(T0);
          await store.admit(a, limitedLookup(T0, 'first reply'));
          const again = await store.admit({ ...a, at: T0 + 5 }, limitedLookup(T0 + 5, 'second reply'));
          expect(again).toEqual({ duplicate: true, original: { command: 'TT', outcome: 'served', segments: 1 }, twiml: 'first reply' });
          expect((await store.counts()).auditLog).toBe(1);
          expect((await store.senderState(PHONE)).lookups).toEqual([T0]);
        }),
      );

      it(
        'concurrently on two stores: one audit row, and the same reply bytes for both',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin();
          const a = lookupAdmission(T0);
          const [one, two] = await Promise.all([
            store.admit(a, limitedLookup(T0, 'reply A')),
            other.admit(a, limitedLookup(T0, 'reply B')),
          ]);
          const twimls = [one, two].map((r) => (r.duplicate ? r.twiml : r.verdict.twiml));
          expect(twimls[0]).toBe(twimls[1]);
          expect([one, two].filter((r) => r.duplicate)).toHaveLength(1);
          expect((await store.counts()).auditLog).toBe(1);
        }),
      );

      it(
        'gives no reply body to a different sender, or once the body has expired',
        withStore(async ({ store }) => {
          const a = lookupAdmission(T0);
          await store.admit(a, limitedLookup(T0, 'secret'));
          const other = await store.admit({ ...a, sender: '+84987654321' }, limitedLookup(T0));
          expect(other).toMatchObject({ duplicate: true, twiml: undefined });
          await store.pruneExpired({ now: T0 + 1, repliesBefore: T0 + 1 });
          const late = await store.admit(a, limitedLookup(T0));
          expect(late).toEqual({ duplicate: true, original: { command: 'TT', outcome: 'served', segments: 1 }, twiml: undefined });
          expect((await store.counts()).auditLog).toBe(1);
        }),
      );
    });

    describe('sender states', () => {
      it(
        'updateSender changes one state atomically, leaves it when told to, and deletes an empty one',
        withStore(async ({ store }) => {
          await store.admit(lookupAdmission(T0), limitedLookup(T0));
          expect(await store.updateSender(PHONE, () => undefined)).toBe(false);
          const optedOut = withOptOut(await store.senderState(PHONE), true);
          expect(await store.updateSender(PHONE, () => ({ state: optedOut, expiresAt: null }))).toBe(true);
          expect(await store.senderState(PHONE)).toEqual(optedOut);
          expect(await store.updateSender(PHONE, () => ({ state: EMPTY_SENDER, expiresAt: 0 }))).toBe(true);
          expect(await store.senderState(PHONE)).toEqual(EMPTY_SENDER);
          expect((await store.counts()).senders).toBe(0);
        }),
      );

      it(
        'pruneExpired deletes expired states and old reply bodies, and keeps opt-outs and the audit log',
        withStore(async ({ store }) => {
          await store.admit(lookupAdmission(T0), limitedLookup(T0)); // expires at T0 + 1 h
          await store.updateSender('+84987654321', () => ({ state: withOptOut(EMPTY_SENDER, true), expiresAt: null }));
          await store.admit(lookupAdmission(T0 + 10 * 60_000, { sender: '+84971234111' }), limitedLookup(T0 + 10 * 60_000));
          expect(await store.pruneExpired({ now: T0 + HOUR, repliesBefore: T0 + 60_000 })).toEqual({ replies: 1, senders: 1 });
          const counts = await store.counts();
          expect(counts).toMatchObject({ auditLog: 2, replies: 1, senders: 2 });
          expect((await store.senderState('+84987654321')).optedOut).toBe(true);
          expect(await store.pruneExpired({ now: T0 + HOUR, repliesBefore: T0 + 60_000 })).toEqual({ replies: 0, senders: 0 });
        }),
      );
    });

    describe('the audit log', () => {
      it(
        'lists a record’s accesses newest first with the count since a time, and its whole trail oldest first',
        withStore(async ({ store }) => {
          await recordEntry(store, entry({ at: T0 - 40 * 24 * HOUR, messageSid: 'a' }));
          await recordEntry(store, entry({ at: T0 - 1000, messageSid: 'b', sender: '+84971234111', outcome: 'refused' }));
          await recordEntry(store, entry({ at: T0, messageSid: 'c', command: 'CC' }));
          await recordEntry(store, entry({ at: T0, messageSid: 'd', targetId: '079300000001' }));
          const h = await store.accessHistory('001099054321', PHONE, { limit: 2, since: T0 - 30 * 24 * HOUR });
          expect(h).toEqual({
            entries: [
              { at: T0, command: 'CC', outcome: 'served', sender: PHONE, bySelf: true },
              { at: T0 - 1000, command: 'TT', outcome: 'refused', sender: '+84971234111', bySelf: false },
            ],
            total: 2,
          });
          expect((await store.auditTrail('001099054321')).map((e) => e.messageSid)).toEqual(['a', 'b', 'c']);
          const page = await store.readAudit(0, 2);
          expect(page.map((e) => e.messageSid)).toEqual(['a', 'b']);
          expect((await store.readAudit(page[1]?.id ?? 0, 10)).map((e) => e.messageSid)).toEqual(['c', 'd']);
        }),
      );

      it(
        'prunes rows older than a cut-off with their replies, and reports the range',
        withStore(async ({ store }) => {
          await recordEntry(store, entry({ at: T0 - 400 * 24 * HOUR, messageSid: 'SMold' }), 'old reply');
          await recordEntry(store, entry({ at: T0 - 399 * 24 * HOUR, messageSid: 'SMold2' }));
          await recordEntry(store, entry({ messageSid: 'SMnew' }));
          expect(await store.pruneAudit(T0 - 365 * 24 * HOUR, T0)).toMatchObject({
            removed: 2,
            oldest: T0 - 400 * 24 * HOUR,
            newest: T0 - 399 * 24 * HOUR,
            checkpoint: { id: 1, cutSeq: 2, removed: 2, at: T0 },
          });
          expect((await store.readAudit(0, 10)).map((e) => e.messageSid)).toEqual(['SMnew']);
          expect((await store.counts()).replies).toBe(1);
          expect(await store.pruneAudit(T0 - 365 * 24 * HOUR, T0)).toEqual({ removed: 0 });
        }),
      );
    });

    describe('the audit chain', () => {
      it(
        'seals committed rows in id order, once each, and verifies intact with the count and head',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin();
          for (const m of ['a', 'b', 'c']) await recordEntry(store, entry({ messageSid: m }));
          expect(await store.auditHead()).toEqual(GENESIS);
          const [one, two] = await Promise.all([store.sealAudit(T0 + 1000), other.sealAudit(T0 + 1000)]);
          expect(one.sealed + two.sealed).toBe(3);
          const seals = await store.readSeals(0, 10);
          expect(seals.map((e) => [e.seal.seq, e.seal.kind, e.record?.kind === 'audit' ? e.record.row.messageSid : undefined])).toEqual([
            [1, 'audit', 'a'],
            [2, 'audit', 'b'],
            [3, 'audit', 'c'],
          ]);
          expect(await store.sealAudit(T0 + 2000)).toEqual({ sealed: 0, head: await store.auditHead() });
          await recordEntry(store, entry({ messageSid: 'd' }));
          expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 3, rows: 3, pending: 1 });
          const head = (await store.sealAudit(T0 + 3000)).head;
          expect(await verifyAudit(other)).toEqual({ ok: true, sealed: 4, rows: 4, deliveries: 0, pruned: 0, pending: 0, head });
        }),
      );

      it(
        'never seals a row older than the last seal by more than the late-commit limit, and verify names it',
        withStore(async ({ store }) => {
          await recordEntry(store, entry({ messageSid: 'a' }));
          await store.sealAudit(T0 + 1000);
          await recordEntry(store, entry({ at: T0 + 1000 - LATE_COMMIT_LIMIT_MS - 1, messageSid: 'backdated' }));
          await recordEntry(store, entry({ at: T0 + 900, messageSid: 'late' }));
          expect((await store.sealAudit(T0 + 2000)).sealed).toBe(1);
          const result = await verifyAudit(store);
          expect(result).toEqual({ ok: false, finding: expect.stringMatching(/audit row id 2 has no seal .* inserted/) as string });
        }),
      );

      it(
        'a prune leaves a sealed checkpoint: the log still verifies, and a head from before it is still a prefix',
        withStore(async ({ store }) => {
          const DAY = 24 * HOUR;
          await recordEntry(store, entry({ at: T0 - 400 * DAY, messageSid: 'old1' }));
          await recordEntry(store, entry({ at: T0 - 390 * DAY, messageSid: 'old2' }));
          await recordEntry(store, entry({ at: T0 - 10 * DAY, messageSid: 'new1' }));
          const before = (await store.sealAudit(T0)).head;
          await recordEntry(store, entry({ at: T0, messageSid: 'new2' }));
          const pruned = await store.pruneAudit(T0 - 365 * DAY, T0 + 1000);
          expect(pruned).toMatchObject({
            removed: 2,
            checkpoint: { cutSeq: 2, removed: 2, oldest: T0 - 400 * DAY, newest: T0 - 390 * DAY },
          });
          expect(await store.auditCheckpoints()).toEqual([pruned.checkpoint]);
          const seals = await store.readSeals(0, 10);
          expect(seals.map((e) => [e.seal.kind, e.record === undefined])).toEqual([
            ['audit', true],
            ['audit', true],
            ['audit', false],
            ['audit', false],
            ['prune', false],
          ]);
          expect(pruned.checkpoint?.cutHead).toBe(seals[1]?.seal.head);
          expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 5, rows: 2, pruned: 2, pending: 0 });
          expect(await verifyAudit(store, before)).toMatchObject({ ok: true, extends: before });
          expect(await verifyAudit(store, { seq: 1, hash: seals[0]?.seal.head ?? '' })).toMatchObject({ ok: true });
        }),
      );
    });

    describe('the audit chain over delivery events', () => {
      const event = (over: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
        at: T0 + 1000,
        ref: 'SMin',
        messageSid: 'SMout',
        status: 'sent',
        errorCode: null,
        ...over,
      });
      /** Drops delivery_events' triggers, as someone with write access could (each backend's syntax). */
      const dropTriggers = async (f: StoreFixture) => {
        for (const t of ['delivery_events_no_update', 'delivery_events_no_delete']) {
          await f.sql(`DROP TRIGGER ${t} ON delivery_events`).catch(() => f.sql(`DROP TRIGGER ${t}`));
        }
      };

      it(
        'seals delivery events after the audit rows of a run, and verifies them',
        withStore(async ({ store }) => {
          await recordEntry(store, entry({ messageSid: 'SMin' }));
          await store.recordDelivery(event());
          await store.recordDelivery(event({ status: 'delivered', at: T0 + 2000 }));
          expect((await store.sealAudit(T0 + 3000)).sealed).toBe(3);
          const seals = await store.readSeals(0, 10);
          expect(seals.map((e) => [e.seal.kind, e.record?.kind === 'delivery' ? e.record.row.status : undefined])).toEqual([
            ['audit', undefined],
            ['delivery', 'sent'],
            ['delivery', 'delivered'],
          ]);
          await store.recordDelivery(event({ status: 'failed', at: T0 + 3500 }));
          expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 3, rows: 1, deliveries: 2, pending: 1 });
          expect((await store.sealAudit(T0 + 4000)).sealed).toBe(1);
          expect(await verifyAudit(store)).toMatchObject({ ok: true, sealed: 4, deliveries: 3, pending: 0 });
        }),
      );

      it.each<[string, string, RegExp]>([
        [
          'an UPDATE',
          `UPDATE delivery_events SET status = 'delivered' WHERE status = 'undelivered'`,
          /^delivery event \d+ \(seal 3\) was edited$/,
        ],
        ['a DELETE', `DELETE FROM delivery_events WHERE status = 'undelivered'`, /^delivery event \d+ \(seal 3\) was deleted$/],
        [
          'an INSERT',
          `INSERT INTO delivery_events (at, ref, message_sid, status, error_code) VALUES (${T0 + 1500}, 'SMin', 'SMout', 'delivered', NULL)`,
          /^delivery event \d+ has no seal and is older than the last seal: it was inserted$/,
        ],
      ])('verify names %s of a delivery event done straight in the database with the triggers dropped', (_name, tamper, finding) =>
        withStore(async (f) => {
          const { store } = f;
          await recordEntry(store, entry({ messageSid: 'SMin' }));
          await store.recordDelivery(event());
          await store.recordDelivery(event({ status: 'undelivered', errorCode: '30003', at: T0 + 2000 }));
          await store.sealAudit(T0 + 3000);
          await recordEntry(store, entry({ messageSid: 'SMlater', at: T0 + 2 * LATE_COMMIT_LIMIT_MS }));
          await store.sealAudit(T0 + 2 * LATE_COMMIT_LIMIT_MS + 1000);
          expect(await verifyAudit(store)).toMatchObject({ ok: true, deliveries: 2 });
          await dropTriggers(f);
          await f.sql(tamper);
          const result = await verifyAudit(store);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.finding).toMatch(finding);
        })(),
      );

      it(
        'a prune removes the delivery events of the rows it removes, sealed under its checkpoint, and the log still verifies',
        withStore(async ({ store }) => {
          const DAY = 24 * HOUR;
          await recordEntry(store, entry({ at: T0 - 400 * DAY, messageSid: 'SMold' }));
          await store.recordDelivery(event({ ref: 'SMold', at: T0 - 400 * DAY + 1000 }));
          await store.sealAudit(T0 - 400 * DAY + 2000);
          await recordEntry(store, entry({ at: T0 - 10 * DAY, messageSid: 'SMnew' }));
          await store.recordDelivery(event({ ref: 'SMnew', at: T0 - 10 * DAY + 1000 }));
          const before = (await store.sealAudit(T0 - 10 * DAY + 2000)).head;
          const pruned = await store.pruneAudit(T0 - 365 * DAY, T0);
          expect(pruned).toMatchObject({ removed: 1, checkpoint: { cutSeq: 2 } });
          expect((await store.counts()).deliveryEvents).toBe(1);
          expect((await store.readSeals(0, 10)).map((e) => [e.seal.kind, e.record === undefined])).toEqual([
            ['audit', true],
            ['delivery', true],
            ['audit', false],
            ['delivery', false],
            ['prune', false],
          ]);
          expect(await verifyAudit(store)).toMatchObject({ ok: true, rows: 1, deliveries: 1, pruned: 2 });
          expect(await verifyAudit(store, before)).toMatchObject({ ok: true, extends: before });
        }),
      );

      it(
        'a prune keeps an old row whose delivery event was sealed after rows it keeps, so that the log still verifies',
        withStore(async ({ store }) => {
          const DAY = 24 * HOUR;
          await recordEntry(store, entry({ at: T0 - 400 * DAY, messageSid: 'SMold' }));
          await store.sealAudit(T0 - 400 * DAY + 2000);
          await recordEntry(store, entry({ at: T0 - 10 * DAY, messageSid: 'SMnew' }));
          await store.recordDelivery(event({ ref: 'SMold', at: T0 - 10 * DAY + 1000 })); // a late callback
          await store.sealAudit(T0 - 10 * DAY + 2000);
          expect(await store.pruneAudit(T0 - 365 * DAY, T0)).toEqual({ removed: 0 });
          expect((await store.counts()).deliveryEvents).toBe(1);
          expect(await verifyAudit(store)).toMatchObject({ ok: true, rows: 2, deliveries: 1, pruned: 0 });
        }),
      );
    });

    describe('delivery receipts', () => {
      const receipt = (over: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
        at: T0 + 1000,
        ref: 'SMin',
        messageSid: 'SMout',
        status: 'sent',
        errorCode: null,
        ...over,
      });

      it(
        'keeps every event of a known message, repeats and out-of-order ones too, and records nothing for an unknown one',
        withStore(async (f) => {
          const { store } = f;
          const other = await f.twin(); // a callback may reach any node
          await recordEntry(store, entry({ messageSid: 'SMin' }));
          expect(await other.recordDelivery(receipt({ status: 'delivered', at: T0 + 3000 }))).toEqual({ sender: PHONE });
          expect(await store.recordDelivery(receipt({ status: 'sent', at: T0 + 2000 }))).toEqual({ sender: PHONE });
          expect(await store.recordDelivery(receipt({ status: 'delivered', at: T0 + 4000 }))).toEqual({ sender: PHONE });
          expect(await store.recordDelivery(receipt({ ref: 'SMunknown' }))).toBeUndefined();
          expect((await store.counts()).deliveryEvents).toBe(3);
          const [trail] = await other.auditTrail('001099054321');
          expect(trail?.deliveries.map((d) => [d.status, d.at])).toEqual([
            ['sent', T0 + 2000],
            ['delivered', T0 + 3000],
            ['delivered', T0 + 4000],
          ]);
          expect(trail?.deliveries[0]).toEqual(receipt({ status: 'sent', at: T0 + 2000 }));
        }),
      );

      it(
        'shows each access’s latest status by lifecycle rank, arrival breaking ties, in the history',
        withStore(async ({ store }) => {
          await seed(store, [fictionalCitizen()]); // admit reads the history of a record that exists
          const cases: [string, [string, number][], string | undefined][] = [
            [
              'SMa',
              [
                ['delivered', 2],
                ['sent', 3],
              ],
              'delivered',
            ], // a late "sent" does not hide "delivered"
            [
              'SMb',
              [
                ['undelivered', 2],
                ['delivered', 3],
              ],
              'delivered',
            ], // equal rank: the later arrival
            [
              'SMc',
              [
                ['sent', 1],
                ['failed', 2],
                ['queued', 3],
              ],
              'failed',
            ],
            ['SMd', [], undefined],
          ];
          for (const [i, [sid, events]] of cases.entries()) {
            await recordEntry(store, entry({ messageSid: sid, at: T0 + i }));
            for (const [status, at] of events) await store.recordDelivery(receipt({ ref: sid, status, at: T0 + at * 1000 }));
          }
          const h = await store.accessHistory('001099054321', PHONE, { limit: 5, since: 0 });
          expect(h.entries.map((e) => e.delivery)).toEqual(cases.map((c) => c[2]).reverse());
          let seen: Parameters<Decide>[0] | undefined;
          await store.admit({ ...lookupAdmission(T0 + 10), history: { limit: 5, since: 0 } }, (context) => {
            seen = context;
            return { command: 'LS', outcome: 'served', segments: 1, twiml: 'x' };
          });
          expect(seen?.history?.entries.map((e) => e.delivery)).toEqual(cases.map((c) => c[2]).reverse());
        }),
      );

      it(
        'refuses UPDATE and DELETE of an event, and retention removes the events of the rows it removes',
        withStore(async (f) => {
          const { store } = f;
          await recordEntry(store, entry({ messageSid: 'SMold', at: T0 - 400 * 24 * HOUR }));
          await store.recordDelivery(receipt({ ref: 'SMold', at: T0 - 400 * 24 * HOUR }));
          // Sealed before the newer row: a row whose events are sealed after rows the prune keeps waits for a later prune.
          await store.sealAudit(T0 - 400 * 24 * HOUR + 1000);
          await recordEntry(store, entry({ messageSid: 'SMin' }));
          await store.recordDelivery(receipt());
          await expect(f.sql(`UPDATE delivery_events SET status = 'delivered'`)).rejects.toThrow(/append-only/);
          await expect(f.sql(`DELETE FROM delivery_events`)).rejects.toThrow(/append-only/);
          expect(await store.pruneAudit(T0 - 365 * 24 * HOUR)).toMatchObject({ removed: 1 });
          expect((await store.counts()).deliveryEvents).toBe(1);
          await expect(f.sql(`DELETE FROM delivery_events`)).rejects.toThrow(/append-only/);
        }),
      );
    });

    describe('health', () => {
      it(
        'answers ping, has current migrations, takes writes, passes its integrity check and reports a size',
        withStore(async ({ store }) => {
          await store.ping();
          expect(await store.migrationsCurrent()).toBe(true);
          expect(await store.acceptsWrites()).toBe(true);
          expect(await store.checkIntegrity()).toEqual([]);
          expect(await store.sizeBytes()).toBeGreaterThan(0);
          expect(store.description).not.toMatch(/password|:[^/@]*@/);
        }),
      );
    });
  });
}

storeContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contract-'));
  const file = join(dir, 'c.db');
  const store = openSqliteStore(file);
  const opened: Store[] = [store];
  return Promise.resolve({
    store,
    sql: (text) =>
      Promise.resolve().then(() => {
        const db = new Database(file);
        try {
          const rows: unknown[] = [];
          for (const statement of text
            .split(';')
            .map((t) => t.trim())
            .filter(Boolean)) {
            const prepared = db.prepare(statement);
            if (prepared.reader) rows.push(...prepared.all());
            else prepared.run();
          }
          return rows;
        } finally {
          db.close();
        }
      }),
    twin: () => {
      const s = openSqliteStore(file);
      opened.push(s);
      return Promise.resolve(s);
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

storeContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore(database.url);
  const opened: Store[] = [store];
  return {
    store,
    sql: (text) => database.sql(text),
    // Another node: a store with its own pool on the same database.
    twin: async () => {
      const s = await openPostgresStore(database.url);
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      await database.drop();
    },
  };
});
