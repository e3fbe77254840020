import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeCsvChunks } from './fake.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.js';
import { parseCsvBatches } from './csvItems.js';
import { IdNumberSet, seedRows } from './seed.js';
import { readSeedFile } from './sources.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seeding-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('IdNumberSet', () => {
  it('adds each key once, across growth, from 0 to the largest 12-digit ID', () => {
    const set = new IdNumberSet();
    const keys = [0, 1, 999_999_999_999, 2 ** 32, 2 ** 32 + 1, 79_305_056_789];
    for (let i = 0; i < 50_000; i++) keys.push(1_000_000 + i * 7919);
    expect(keys.every((k) => set.add(k))).toBe(true);
    expect(keys.some((k) => set.add(k))).toBe(false);
    expect(set.size).toBe(keys.length);
  });

  it('refuses what is not a non-negative safe integer', () => {
    const set = new IdNumberSet();
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) expect(() => set.add(bad)).toThrow(RangeError);
  });
});

describe('CSV parsing in this thread (the path tests and TypeScript sources take)', () => {
  it('gives records with the line they end on, and skipped records in their place', async () => {
    const csv = file('a.csv', 'a,b\n1,2\n3\n\n"x\ny",4\n5,6,7\n8,9\n');
    const items = (await collect(parseCsvBatches(csv, 2))).flatMap((batch) => batch.items);
    const wrongLength: unknown = expect.stringMatching(/Invalid Record Length/);
    expect(items).toEqual([
      { values: ['a', 'b'], lines: 1 },
      { values: ['1', '2'], lines: 2 },
      { skipped: { message: wrongLength, lines: 3 } },
      { values: ['x\ny', '4'], lines: 6 },
      { skipped: { message: wrongLength, lines: 7 } },
      { values: ['8', '9'], lines: 8 },
    ]);
  });

  it('names rows by their first line, BOM and CRLF (also inside quotes) included', async () => {
    const header = 'phone,sex,full_name,id_number,date_of_birth,permanent_address';
    const csv = file('b.csv', `\uFEFF${header}\r\n1,Nam,A,2,3,"x\r\ny"\r\n1,Nam,B\r\n4,Nữ,C,5,6,z\r\n`);
    const rows = await collect(readSeedFile(csv));
    expect(rows.map((r) => r.where)).toEqual(['line 2', 'line 4', 'line 5']);
    expect(rows[0]).toMatchObject({ fields: { phone: '1', permanent_address: 'x\r\ny' } });
    const wrongLength: unknown = expect.stringMatching(/^Invalid Record Length/);
    expect(rows[1]).toMatchObject({ error: wrongLength });
  });

  it('reports a missing file as a file error', async () => {
    await expect(collect(readSeedFile(join(dir, 'missing.csv')))).rejects.toThrow(/cannot read .*missing\.csv/);
  });
});

describe('seedRows into SQLite', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = openSqliteStore(join(dir, 'c.db'));
  });
  afterEach(async () => {
    await store.close();
  });

  it('loads fake records through the staging table, then upserts them again', async () => {
    const csv = file('f.csv', [...fakeCsvChunks(12_000, 1_000)].join(''));
    const options = { skipInvalid: false, today: '2026-11-27', batchSize: 1_000 };
    expect(await seedRows(store, readSeedFile(csv), options)).toEqual({ inserted: 12_000, updated: 0, rejected: 0, written: true });
    expect(await seedRows(store, readSeedFile(csv), options)).toEqual({ inserted: 0, updated: 12_000, rejected: 0, written: true });
    expect((await store.counts()).citizens).toBe(12_000);
    expect(store.db.prepare(`SELECT count(*) FROM temp.sqlite_schema`).pluck().get()).toBe(0);
  });

  it('writes nothing in strict mode when one row after many batches is rejected, and keeps the valid ones with skipInvalid', async () => {
    const csv = file('g.csv', `${[...fakeCsvChunks(2_500)].join('')}001085999,Trần Văn Sai,1985-01-01,Nam,0912000111,,,,,,,,,,\n`);
    const strict = await seedRows(store, readSeedFile(csv), { skipInvalid: false, today: '2026-11-27', batchSize: 500 });
    expect(strict).toMatchObject({ inserted: 0, rejected: 1, written: false });
    expect((await store.counts()).citizens).toBe(0);
    const lenient = await seedRows(store, readSeedFile(csv), { skipInvalid: true, today: '2026-11-27', batchSize: 500 });
    expect(lenient).toMatchObject({ inserted: 2_500, rejected: 1, written: true });
  });
});
