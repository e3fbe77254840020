// The sealer's plan, as tables: which rows a run seals, and when the scan's lower bound moves up.
import { describe, expect, it } from 'vitest';
import { LATE_COMMIT_LIMIT_MS } from '../audit/chain.js';
import { auditRecord } from '../testing/audit.js';
import {
  advanceScan,
  afterGapRead,
  afterTail,
  EMPTY_CHAIN,
  MAX_GAPS,
  scanOf,
  sealAuditBatch,
  type ChainState,
  type IdRange,
  type ScanPosition,
} from './sealPlan.js';

const T = 1_800_000_000_000;
const row = (id: number, at: number) => auditRecord(id, at);

describe('sealAuditBatch', () => {
  it('seals rows in the given order, judged against the last seal before the run, not this run’s', () => {
    const backlog = [row(1, T), row(2, T + 1)];
    const first = sealAuditBatch(EMPTY_CHAIN, backlog, T + 10 * LATE_COMMIT_LIMIT_MS, null);
    expect(first.seals.map((s) => [s.seq, s.rowId])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // A second batch of the same run: the state's last seal is now, but the run started without one.
    const second = sealAuditBatch(first.state, [row(3, T + 2)], T + 10 * LATE_COMMIT_LIMIT_MS, null);
    expect(second.seals.map((s) => s.seq)).toEqual([3]);
  });

  it.each([
    [T - LATE_COMMIT_LIMIT_MS, 1],
    [T - LATE_COMMIT_LIMIT_MS - 1, 0],
  ])('after a last seal at T, a row at %d gets %d seal(s)', (at, count) => {
    const state: ChainState = { ...EMPTY_CHAIN, lastSealedAt: T };
    expect(sealAuditBatch(state, [row(5, at)], T + 1000, T).seals).toHaveLength(count);
  });
});

describe('advanceScan', () => {
  it.each<[string, ChainState, ChainState['scanFrom'], ChainState['candidate']]>([
    ['records a candidate when there is none', { ...EMPTY_CHAIN, lastSealedAt: T }, 0, { id: 9, at: T + 5 }],
    [
      'keeps the bound while the candidate is within the late-commit limit of the last seal',
      { ...EMPTY_CHAIN, lastSealedAt: T + LATE_COMMIT_LIMIT_MS, candidate: { id: 4, at: T } },
      0,
      { id: 4, at: T },
    ],
    [
      'moves the bound to the candidate once older than that, and takes a new candidate',
      { ...EMPTY_CHAIN, lastSealedAt: T + LATE_COMMIT_LIMIT_MS + 1, candidate: { id: 4, at: T } },
      4,
      { id: 9, at: T + 5 },
    ],
    [
      'never moves the bound down',
      { ...EMPTY_CHAIN, scanFrom: 7, lastSealedAt: T + 2 * LATE_COMMIT_LIMIT_MS, candidate: { id: 4, at: T } },
      7,
      { id: 9, at: T + 5 },
    ],
  ])('%s', (_name, state, scanFrom, candidate) => {
    expect(advanceScan({ ...state, readTo: 9 }, T + 5)).toMatchObject({ scanFrom, candidate });
  });

  it('forgets the gaps at or below the new bound, and trims the one across it', () => {
    const state: ChainState = {
      ...EMPTY_CHAIN,
      readTo: 9,
      gaps: [
        [2, 2],
        [4, 6],
        [8, 8],
      ],
      lastSealedAt: T + LATE_COMMIT_LIMIT_MS + 1,
      candidate: { id: 5, at: T },
    };
    expect(advanceScan(state, T + 5).gaps).toEqual([
      [6, 6],
      [8, 8],
    ]);
    expect(advanceScan({ ...state, lastSealedAt: T + LATE_COMMIT_LIMIT_MS }, T + 5).gaps).toEqual(state.gaps);
  });

  it('moves the delivery events’ position alone', () => {
    const state: ChainState = { ...EMPTY_CHAIN, lastSealedAt: T, delivery: { ...EMPTY_CHAIN.delivery, readTo: 3, gaps: [[1, 1]] } };
    const next = advanceScan(state, T + 5, 'delivery');
    expect(scanOf(next, 'delivery')).toEqual({ scanFrom: 0, candidate: { id: 3, at: T + 5 }, readTo: 3, gaps: [[1, 1]] });
    expect(scanOf(next, 'audit')).toEqual(scanOf(state, 'audit'));
  });
});

const at = (readTo: number, gaps: IdRange[]): ScanPosition => ({ scanFrom: 0, candidate: null, readTo, gaps });

describe('afterTail: the ids the tail skipped become gaps', () => {
  it.each<[string, ScanPosition, number[], ScanPosition]>([
    ['no rows: nothing changes', at(5, [[2, 2]]), [], at(5, [[2, 2]])],
    ['consecutive ids: no gap', at(5, []), [6, 7, 8], at(8, [])],
    [
      'skipped ids, from the last read on',
      at(5, [[2, 2]]),
      [7, 8, 11],
      at(11, [
        [2, 2],
        [6, 6],
        [9, 10],
      ]),
    ],
  ])('%s', (_name, scan, ids, expected) => {
    expect(afterTail(scan, ids)).toEqual(expected);
  });

  it(`keeps at most ${MAX_GAPS} ranges by merging the closest, still covering every skipped id`, () => {
    // Ids 2, 4, 6, …: every odd id skipped, and one wide skip in the middle.
    const ids = Array.from({ length: 2 * MAX_GAPS }, (_, i) => 2 * (i + 1) + (i >= MAX_GAPS ? 1_000 : 0));
    const { gaps } = afterTail(at(0, []), ids);
    expect(gaps).toHaveLength(MAX_GAPS);
    const covered = (id: number) => gaps.some(([lo, hi]) => lo <= id && id <= hi);
    let prev = 0;
    for (const id of ids) {
      for (let skipped = prev + 1; skipped < id; skipped++) expect(covered(skipped)).toBe(true);
      prev = id;
    }
    expect(gaps.every(([lo, hi], i) => lo <= hi && (i === 0 || lo > (gaps[i - 1]?.[1] ?? 0)))).toBe(true);
  });
});

describe('afterGapRead: the ids found in the gaps leave them', () => {
  it.each<[string, IdRange[], number[], IdRange[]]>([
    ['none found', [[2, 4]], [], [[2, 4]]],
    [
      'a one-id gap filled',
      [
        [2, 2],
        [6, 6],
      ],
      [2],
      [[6, 6]],
    ],
    [
      'a range split',
      [[2, 9]],
      [2, 5, 9],
      [
        [3, 4],
        [6, 8],
      ],
    ],
    [
      'found out of order, across ranges',
      [
        [2, 4],
        [8, 9],
      ],
      [9, 3],
      [
        [2, 2],
        [4, 4],
        [8, 8],
      ],
    ],
  ])('%s', (_name, gaps, found, expected) => {
    expect(afterGapRead(at(10, gaps), found)).toEqual(at(10, expected));
  });
});
