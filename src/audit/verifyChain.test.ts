// The verifier on chains built in memory: intact, each kind of change named, pruning and published heads.
import { describe, expect, it } from 'vitest';
import {
  formatHead,
  LATE_COMMIT_LIMIT_MS,
  sealRecords,
  GENESIS,
  type AuditRecord,
  type ChainRecord,
  type DeliveryRecord,
  type PruneCheckpoint,
} from './chain.js';
import { ChainVerifier, type SealedEntry } from './verifyChain.js';
import { auditRecord } from '../testing/audit.js';

const T = 1_800_000_000_000;
const row = (id: number): AuditRecord => auditRecord(id, T + id, { targetId: '001099054321' });
const rows = [1, 2, 3, 4].map(row);
const chain = sealRecords(
  GENESIS,
  rows.map((r): ChainRecord => ({ kind: 'audit', row: r })),
  T + 1000,
);
const entries = (): SealedEntry[] => chain.seals.map((seal, i) => ({ seal, record: { kind: 'audit', row: rows[i] as AuditRecord } }));

// Two audit rows, each followed by a delivery event of its reply, then the other's second event.
const delivery = (id: number, ref: string, status: string): DeliveryRecord => ({
  id,
  at: T + 10 + id,
  ref,
  messageSid: `SMout-${ref}`,
  status,
  errorCode: null,
});
const mixedRecords: ChainRecord[] = [
  { kind: 'audit', row: row(1) },
  { kind: 'delivery', row: delivery(11, 'SM1', 'sent') },
  { kind: 'audit', row: row(2) },
  { kind: 'delivery', row: delivery(12, 'SM2', 'sent') },
  { kind: 'delivery', row: delivery(13, 'SM1', 'delivered') },
];
const mixed = sealRecords(GENESIS, mixedRecords, T + 1000);
const mixedEntries = (): SealedEntry[] => mixed.seals.map((seal, i) => ({ seal, record: mixedRecords[i] }));
const deliveryAt = (list: SealedEntry[], i: number): DeliveryRecord => {
  const record = list[i]?.record;
  if (record?.kind !== 'delivery') throw new Error(`entry ${i} is not a delivery event`);
  return record.row;
};

function verify(
  list: SealedEntry[],
  options: {
    unsealed?: AuditRecord[];
    unsealedDeliveries?: DeliveryRecord[];
    checkpoints?: PruneCheckpoint[];
    published?: { seq: number; hash: string };
    stored?: typeof chain.head;
  } = {},
) {
  const v = new ChainVerifier(options.checkpoints ?? [], options.published);
  v.addSeals(list);
  v.addUnsealed(options.unsealed ?? []);
  v.addUnsealedDeliveries(options.unsealedDeliveries ?? []);
  const last = list.at(-1)?.seal;
  return v.finish(options.stored ?? (last ? { seq: last.seq, hash: last.head } : GENESIS));
}

describe('ChainVerifier', () => {
  it('passes an intact chain with its count and head, and counts recent unsealed rows as pending', () => {
    expect(verify(entries(), { unsealed: [{ ...row(5), at: T + 1000 }] })).toEqual({
      ok: true,
      sealed: 4,
      rows: 4,
      deliveries: 0,
      pruned: 0,
      pending: 1,
      head: chain.head,
    });
  });

  it.each<[string, (e: SealedEntry[]) => SealedEntry[], RegExp]>([
    [
      'an edited row',
      (e) => e.map((x, i) => (i === 1 ? { ...x, record: { kind: 'audit', row: { ...row(2), outcome: 'refused' } } } : x)),
      /audit row id 2 \(seal 2\) was edited/,
    ],
    ['a deleted row', (e) => e.map((x, i) => (i === 2 ? { ...x, record: undefined } : x)), /audit row id 3 \(seal 3\) was deleted/],
    ['a deleted seal and row', (e) => e.filter((_x, i) => i !== 1), /seal 2 is missing/],
    [
      'two rows swapped',
      (e) =>
        e.map((x, i) =>
          i === 1
            ? { ...x, record: { kind: 'audit', row: { ...row(3), id: 2 } } }
            : i === 2
              ? { ...x, record: { kind: 'audit', row: { ...row(2), id: 3 } } }
              : x,
        ),
      /audit row id 2 \(seal 2\) was reordered: its content is now at id 3/,
    ],
    [
      'a rewritten seal head',
      (e) => e.map((x, i) => (i === 0 ? { ...x, seal: { ...x.seal, head: 'ab'.repeat(32) } } : x)),
      /head stored with seal 1/,
    ],
    [
      'a changed seal time',
      (e) => e.map((x, i) => (i === 3 ? { ...x, seal: { ...x.seal, sealedAt: x.seal.sealedAt + 1 } } : x)),
      /seal 4 does not follow/,
    ],
  ])('names %s', (_name, change, finding) => {
    const result = verify(change(entries()));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.finding).toMatch(finding);
  });

  it('names a row without a seal older than the last seal by more than the limit as inserted', () => {
    const inserted = { ...row(9), at: T + 1000 - LATE_COMMIT_LIMIT_MS - 1 };
    expect(verify(entries(), { unsealed: [inserted] })).toEqual({
      ok: false,
      finding: expect.stringMatching(/audit row id 9 has no seal .* inserted/) as string,
    });
  });

  it('accepts rows gone under a sealed checkpoint, and refuses a checkpoint that is not sealed', () => {
    const checkpoint: PruneCheckpoint = {
      id: 1,
      cutSeq: 2,
      cutHead: chain.seals[1]?.head ?? '',
      removed: 2,
      oldest: T + 1,
      newest: T + 2,
      at: T + 2000,
    };
    const pruned = sealRecords(chain.head, [{ kind: 'prune', row: checkpoint }], T + 2000);
    const list: SealedEntry[] = [
      ...entries().map((e, i) => (i < 2 ? { ...e, record: undefined } : e)),
      ...pruned.seals.map((seal): SealedEntry => ({ seal, record: { kind: 'prune', row: checkpoint } })),
    ];
    expect(verify(list, { checkpoints: [checkpoint] })).toMatchObject({ ok: true, sealed: 5, rows: 2, pruned: 2 });
    const forged = { ...checkpoint, id: 2, cutSeq: 3 };
    const withForged = entries().map((e, i) => (i < 3 ? { ...e, record: undefined } : e));
    expect(verify(withForged, { checkpoints: [forged] })).toEqual({
      ok: false,
      finding: 'prune checkpoint 2 is not sealed: it was inserted',
    });
  });

  it('proves a published head is a prefix, and names a head the log does not extend or falls short of', () => {
    const at2 = { seq: 2, hash: chain.seals[1]?.head ?? '' };
    expect(verify(entries(), { published: at2 })).toMatchObject({ ok: true, extends: at2 });
    expect(verify(entries(), { published: { seq: 2, hash: 'cd'.repeat(32) } })).toMatchObject({
      ok: false,
      finding: expect.stringMatching(/does not extend the published head 2:/) as string,
    });
    expect(verify(entries(), { published: { seq: 7, hash: at2.hash } })).toMatchObject({
      ok: false,
      finding: expect.stringMatching(/cut short/) as string,
    });
    expect(formatHead(at2)).toMatch(/^2:[0-9a-f]{64}$/);
  });

  it('names a stored head that is not the last seal’s', () => {
    expect(verify(entries(), { stored: { seq: 4, hash: 'ef'.repeat(32) } })).toMatchObject({
      ok: false,
      finding: expect.stringMatching(/stored head/) as string,
    });
  });

  describe('delivery events', () => {
    it('passes a chain of audit rows and delivery events, counting each', () => {
      expect(verify(mixedEntries(), { unsealedDeliveries: [{ ...delivery(14, 'SM2', 'delivered'), at: T + 1000 }] })).toMatchObject({
        ok: true,
        sealed: 5,
        rows: 2,
        deliveries: 3,
        pending: 1,
      });
    });

    it.each<[string, (list: SealedEntry[]) => SealedEntry[], string | RegExp]>([
      [
        'an edited status',
        (list) =>
          list.map((e, i) => (i === 3 ? { ...e, record: { kind: 'delivery', row: { ...deliveryAt(list, 3), status: 'delivered' } } } : e)),
        'delivery event 12 (seal 4) was edited',
      ],
      [
        'a deleted event',
        (list) => list.map((e, i) => (i === 1 ? { ...e, record: undefined } : e)),
        'delivery event 11 (seal 2) was deleted',
      ],
      [
        'two events swapped',
        (list) =>
          list.map((e, i) =>
            i === 3
              ? { ...e, record: { kind: 'delivery', row: { ...deliveryAt(list, 4), id: 12 } } }
              : i === 4
                ? { ...e, record: { kind: 'delivery', row: { ...deliveryAt(list, 3), id: 13 } } }
                : e,
          ),
        'delivery event 12 (seal 4) was reordered: its content is now at id 13',
      ],
      ['an event and its seal deleted', (list) => list.filter((_, i) => i !== 1), /seal 2 is missing \(the next is 3\)/],
    ])('names %s', (_name, change, finding) => {
      const result = verify(change(mixedEntries()));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      if (typeof finding === 'string') expect(result.finding).toBe(finding);
      else expect(result.finding).toMatch(finding);
    });

    it('names an unsealed event older than the last seal as inserted, and keeps a recent one pending', () => {
      const old = { ...delivery(20, 'SM1', 'failed'), at: T + 1000 - LATE_COMMIT_LIMIT_MS - 1 };
      expect(verify(mixedEntries(), { unsealedDeliveries: [old] })).toEqual({
        ok: false,
        finding: 'delivery event 20 has no seal and is older than the last seal: it was inserted',
      });
      expect(verify(mixedEntries(), { unsealedDeliveries: [{ ...old, at: T + 1000 - LATE_COMMIT_LIMIT_MS }] })).toMatchObject({ ok: true });
    });

    it('accepts delivery events gone under a sealed checkpoint, and names one gone after its cut', () => {
      const checkpoint: PruneCheckpoint = {
        id: 1,
        cutSeq: 2,
        cutHead: mixed.seals[1]?.head ?? '',
        removed: 1,
        oldest: T + 1,
        newest: T + 1,
        at: T + 2000,
      };
      const pruned = sealRecords(mixed.head, [{ kind: 'prune', row: checkpoint }], T + 2000);
      const withCheckpoint = (gone: number[]): SealedEntry[] => [
        ...mixedEntries().map((e, i) => (gone.includes(i) ? { ...e, record: undefined } : e)),
        ...pruned.seals.map((seal): SealedEntry => ({ seal, record: { kind: 'prune', row: checkpoint } })),
      ];
      expect(verify(withCheckpoint([0, 1]), { checkpoints: [checkpoint] })).toMatchObject({ ok: true, rows: 1, deliveries: 2, pruned: 2 });
      expect(verify(withCheckpoint([0, 1, 4]), { checkpoints: [checkpoint] })).toEqual({
        ok: false,
        finding: 'delivery event 13 (seal 5) was deleted',
      });
    });
  });
});
