// The sealer's plan, as tables: which rows a run seals, and when the scan's lower bound moves up.
import { describe, expect, it } from 'vitest';
import { LATE_COMMIT_LIMIT_MS, type AuditRecord } from '../audit/chain.js';
import { advanceScan, EMPTY_CHAIN, sealAuditBatch, type ChainState } from './sealPlan.js';

const T = 1_800_000_000_000;
const row = (id: number, at: number): AuditRecord => ({
  id,
  at,
  messageSid: `SM${id}`,
  sender: '+84912345678',
  command: 'TT',
  targetId: null,
  outcome: 'served',
  segments: 1,
});

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
    expect(advanceScan(state, 9, T + 5)).toMatchObject({ scanFrom, candidate });
  });
});
