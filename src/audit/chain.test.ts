// The chain's canonical encoding and hashes as a table of examples. The expected bytes and hashes
// were computed independently (Python's hashlib and struct over the documented encoding), so a
// change to the encoding fails here rather than silently invalidating every published head.
import { describe, expect, it } from 'vitest';
import {
  encodeRecord,
  formatHead,
  GENESIS,
  LATE_COMMIT_LIMIT_MS,
  maySeal,
  nextHead,
  parseHead,
  rowHash,
  sealRecords,
  type ChainRecord,
} from './chain.js';

const A: ChainRecord = {
  kind: 'audit',
  row: {
    id: 1,
    at: 1700000000000,
    messageSid: 'SM1',
    sender: '+84912345678',
    command: 'TT',
    targetId: null,
    outcome: 'served',
    segments: 2,
  },
};
const B: ChainRecord = {
  kind: 'audit',
  row: {
    id: 2,
    at: 1700000000500,
    messageSid: 'SM2',
    sender: 'Nguyễn',
    command: 'HELP',
    targetId: '001099054321',
    outcome: 'help',
    segments: 0,
  },
};
const H1 = '66fc9c6e89b164297db971dd51b5814c0eee67dd4e102524df6d53f87afc6e06';
const H2 = 'b9a85a2007d2c5852be03765dea9e90517c2ad54f16fdb98562d843906ddf2cd';
const P: ChainRecord = {
  kind: 'prune',
  row: { id: 1, cutSeq: 2, cutHead: H2, removed: 2, oldest: 1700000000000, newest: 1700000000500, at: 1800000000000 },
};

// Expected values computed by an independent encoder (Python's struct and hashlib) from the field order documented in chain.ts.
const D: ChainRecord = {
  kind: 'delivery',
  row: { id: 12, at: 1700000001000, ref: 'SM1', messageSid: 'SMout1', status: 'undelivered', errorCode: '30003' },
};
const D2: ChainRecord = { kind: 'delivery', row: { ...D.row, id: 13, at: 1700000002000, status: 'delivered', errorCode: null } };

describe('canonical encoding', () => {
  it('writes each field as a 4-byte length and UTF-8, a null as FF FF FF FF, kind first', () => {
    expect(encodeRecord(A).toString('hex')).toBe(
      '00000005617564697400000001310000000d3137303030303030303030303000000003534d310000000c2b3834393132333435363738000000025454ffffffff000000067365727665640000000132',
    );
  });

  it.each([
    ['an audit row', A, '45ad7700f637d2a6f60e618c4580bdf5d85026b08deb10f3b640150b5de96ccf'],
    ['an audit row with UTF-8 text and a target', B, '81bf049e1288b4c5d9e799adb87262a5110dfbb3eba9b9ba8bd7207ddc2e85ff'],
    ['a prune checkpoint', P, 'b7d81f7fdadbe08cf220194935094aa1e33cc0bb34c661fb2a72662acbb74f5d'],
    ['a delivery event', D, '33171e69dd5279ca946180efe8cc3546ac6f919c14c7c01bf0036f036d7eebab'],
    ['a delivery event without an error code', D2, '994a5a394d889b9ccebbdc246d52f132310a400ebfdd39c12b36343e1ce088f2'],
  ])('hashes %s as SHA-256(0x00 ‖ encoding)', (_name, record, hash) => {
    expect(rowHash(record)).toBe(hash);
  });

  it('writes a delivery event as "delivery", id, at, ref, message_sid, status, error_code', () => {
    expect(encodeRecord(D).toString('hex')).toBe(
      '0000000864656c69766572790000000231320000000d3137303030303030303130303000000003534d3100000006534d6f7574310000000b756e64656c697665726564000000053330303033',
    );
  });

  it.each([
    ['the status', { status: 'delivered' }],
    ['the error code', { errorCode: '30005' }],
    ['the error code made null', { errorCode: null }],
    ['the reference', { ref: 'SM2' }],
    ['text moved between fields', { ref: 'SM1SMout1', messageSid: '' }],
  ])('changes a delivery event’s hash when %s changes', (_name, change) => {
    expect(rowHash({ kind: 'delivery', row: { ...D.row, ...change } })).not.toBe(rowHash(D));
  });

  it.each([
    ['the id', { id: 3 }],
    ['the time', { at: 1700000000001 }],
    ['a null target made empty', { targetId: '' }],
    ['the outcome', { outcome: 'refused' as const }],
    ['the segments', { segments: 3 }],
    ['text moved between fields', { messageSid: 'SM1+', sender: '84912345678' }],
  ])('changes the hash when %s changes', (_name, change) => {
    const changed: ChainRecord = { kind: 'audit', row: { ...A.row, ...change } };
    expect(rowHash(changed)).not.toBe(rowHash(A));
  });

  it('refuses integers it cannot write exactly', () => {
    expect(() => rowHash({ kind: 'audit', row: { ...A.row, segments: -1 } })).toThrow(RangeError);
    expect(() => rowHash({ kind: 'audit', row: { ...A.row, at: 1.5 } })).toThrow(RangeError);
  });
});

describe('the chain', () => {
  it('links each record to the previous head, its seq and its seal time', () => {
    expect(nextHead(GENESIS.hash, 1, 1700000001000, rowHash(A))).toBe(H1);
    expect(nextHead(H1, 2, 1700000001000, rowHash(B))).toBe(H2);
    expect(nextHead(H1, 2, 1700000001001, rowHash(B))).not.toBe(H2);
    expect(nextHead(H1, 3, 1700000001000, rowHash(B))).not.toBe(H2);
  });

  it('seals records in order after a head', () => {
    const { seals, head } = sealRecords(GENESIS, [A, B], 1700000001000);
    expect(head).toEqual({ seq: 2, hash: H2 });
    expect(seals.map((s) => [s.seq, s.kind, s.rowId, s.head])).toEqual([
      [1, 'audit', 1, H1],
      [2, 'audit', 2, H2],
    ]);
    expect(sealRecords(GENESIS, [B, A], 1700000001000).head.hash).not.toBe(H2);
  });

  it.each([
    [`2:${H2}`, { seq: 2, hash: H2 }],
    [` 2:${H2.toUpperCase()}\n`, { seq: 2, hash: H2 }],
    [`0:${'0'.repeat(64)}`, GENESIS],
    [H2, undefined],
    [`2:${H2.slice(1)}`, undefined],
    [`-1:${H2}`, undefined],
    [`x:${H2}`, undefined],
  ])('reads the published head %j', (text, head) => {
    expect(parseHead(text)).toEqual(head);
    if (head) expect(parseHead(formatHead(head))).toEqual(head);
  });

  it.each([
    [1_000_000, null, true],
    [1_000_000, 1_000_000 + LATE_COMMIT_LIMIT_MS, true],
    [1_000_000, 1_000_001 + LATE_COMMIT_LIMIT_MS, false],
    [1_000_000, 0, true],
  ])('a row at %d may be sealed after a last seal at %s: %s', (at, last, ok) => {
    expect(maySeal(at, last)).toBe(ok);
  });
});
