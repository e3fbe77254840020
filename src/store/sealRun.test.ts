// The sealer's run as steps, driven here by in-memory tables: what it asks to read, in what order,
// what it writes, and the state it ends with. The stores' own tests run it on real databases.
import { describe, expect, it } from 'vitest';
import type { AuditRecord, DeliveryRecord, Seal } from '../audit/chain.js';
import { auditRecord } from '../testing/audit.js';
import { EMPTY_CHAIN, SEAL_BATCH, type ChainState, type IdRange } from './sealPlan.js';
import { sealRun, type SealOutcome, type SealRead, type SealRows, type SealStep } from './sealRun.js';

const T = 1_800_000_000_000;
const audit = (id: number) => auditRecord(id, T);
const delivery = (id: number): DeliveryRecord => ({
  id,
  at: T,
  ref: `r${id}`,
  messageSid: `SM${id}`,
  status: 'delivered',
  errorCode: null,
});

/** Answers each step from the tables, as a store would; returns what was asked and written. */
function drive(
  before: ChainState,
  tables: { audit: AuditRecord[]; delivery: DeliveryRecord[] },
  answer?: (read: SealRead) => SealRows,
): { reads: SealRead[]; writes: Seal[][]; outcome: SealOutcome } {
  const reads: SealRead[] = [];
  const writes: Seal[][] = [];
  const inRange = (id: number, read: SealRead) =>
    id > read.after && (read.from === 'tail' || (JSON.parse(read.gaps) as IdRange[]).some(([lo, hi]) => id >= lo && id <= hi));
  const fromTables = (read: SealRead): SealRows =>
    read.kind === 'audit'
      ? { kind: 'audit', rows: tables.audit.filter((r) => inRange(r.id, read)).slice(0, read.limit) }
      : { kind: 'delivery', rows: tables.delivery.filter((r) => inRange(r.id, read)).slice(0, read.limit) };
  const run = sealRun(before, T + 1_000);
  const reply = (step: SealStep): SealRows | undefined => {
    if ('write' in step) {
      writes.push(step.write);
      return undefined;
    }
    reads.push(step.read);
    return (answer ?? fromTables)(step.read);
  };
  let step = run.next();
  while (!step.done) step = run.next(reply(step.value));
  return { reads, writes, outcome: step.value };
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const where = (r: SealRead) => `${r.kind} ${r.from} after ${r.after}`;

describe('sealRun', () => {
  it('reads the audit tail, then the delivery tail, and writes one batch of seals for each', () => {
    const { reads, writes, outcome } = drive(EMPTY_CHAIN, { audit: [1, 2, 3].map(audit), delivery: [1].map(delivery) });
    expect(reads.map(where)).toEqual(['audit tail after 0', 'delivery tail after 0']);
    expect(writes.map((w) => w.map((s) => `${s.kind} ${s.rowId}`))).toEqual([['audit 1', 'audit 2', 'audit 3'], ['delivery 1']]);
    expect(outcome.sealed).toBe(4);
    expect(outcome.state.readTo).toBe(3);
    expect(outcome.state.delivery.readTo).toBe(1);
    expect(outcome.state.head.seq).toBe(4);
  });

  it('reads the gaps before the tail, from scanFrom, and takes the rows found there out of the gaps', () => {
    const before: ChainState = { ...EMPTY_CHAIN, lastSealedAt: T, scanFrom: 2, readTo: 9, gaps: [[4, 5]], candidate: { id: 9, at: T } };
    const { reads, writes, outcome } = drive(before, { audit: [4, 10, 12].map(audit), delivery: [] });
    expect(reads.map(where)).toEqual(['audit gaps after 2', 'audit tail after 9', 'delivery tail after 0']);
    expect(reads[0]).toMatchObject({ gaps: '[[4,5]]' });
    expect(writes.map((w) => w.map((s) => s.rowId))).toEqual([[4], [10, 12]]);
    // 5 is still missing, 11 was skipped by the tail.
    expect(outcome.state.gaps).toEqual([
      [5, 5],
      [11, 11],
    ]);
    expect(outcome.state.readTo).toBe(12);
  });

  it('asks for the next batch after the last id of a full one, and stops at a short one', () => {
    const { reads, outcome } = drive(EMPTY_CHAIN, { audit: ids(1, SEAL_BATCH + 5).map(audit), delivery: [] });
    expect(reads.map(where)).toEqual(['audit tail after 0', `audit tail after ${SEAL_BATCH}`, 'delivery tail after 0']);
    expect(outcome.sealed).toBe(SEAL_BATCH + 5);
  });

  it('writes nothing when nothing is new', () => {
    const { writes, outcome } = drive(EMPTY_CHAIN, { audit: [], delivery: [] });
    expect(writes).toEqual([]);
    expect(outcome.sealed).toBe(0);
  });

  it('refuses rows of the other table than it asked for', () => {
    expect(() => drive(EMPTY_CHAIN, { audit: [], delivery: [] }, () => ({ kind: 'delivery', rows: [] }))).toThrow(
      'the sealer asked for audit rows and got delivery',
    );
  });
});
