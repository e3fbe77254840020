// The verifier on chains built in memory: intact, each kind of change named, pruning and published heads.
import { describe, expect, it } from 'vitest';
import {
  formatHead,
  LATE_COMMIT_LIMIT_MS,
  sealRecords,
  GENESIS,
  type AuditRecord,
  type ChainRecord,
  type PruneCheckpoint,
} from './chain.js';
import { ChainVerifier, type SealedEntry } from './verifyChain.js';

const T = 1_800_000_000_000;
const row = (id: number): AuditRecord => ({
  id,
  at: T + id,
  messageSid: `SM${id}`,
  sender: '+84912345678',
  command: 'TT',
  targetId: '001099054321',
  outcome: 'served',
  segments: 1,
});
const rows = [1, 2, 3, 4].map(row);
const chain = sealRecords(
  GENESIS,
  rows.map((r): ChainRecord => ({ kind: 'audit', row: r })),
  T + 1000,
);
const entries = (): SealedEntry[] => chain.seals.map((seal, i) => ({ seal, record: { kind: 'audit', row: rows[i] as AuditRecord } }));

function verify(
  list: SealedEntry[],
  options: {
    unsealed?: AuditRecord[];
    checkpoints?: PruneCheckpoint[];
    published?: { seq: number; hash: string };
    stored?: typeof chain.head;
  } = {},
) {
  const v = new ChainVerifier(options.checkpoints ?? [], options.published);
  v.addSeals(list);
  v.addUnsealed(options.unsealed ?? []);
  const last = list.at(-1)?.seal;
  return v.finish(options.stored ?? (last ? { seq: last.seq, hash: last.head } : GENESIS));
}

describe('ChainVerifier', () => {
  it('passes an intact chain with its count and head, and counts recent unsealed rows as pending', () => {
    expect(verify(entries(), { unsealed: [{ ...row(5), at: T + 1000 }] })).toEqual({
      ok: true,
      sealed: 4,
      rows: 4,
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
});
