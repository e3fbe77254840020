// The seed command run as a process on temporary databases: strict rollback, --skip-invalid,
// BOM and CRLF, JSON, idempotent re-seeding, line numbers and every exit code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTool } from '../helpers/cli.js';

const HEADER = 'id_number,full_name,date_of_birth,sex,phone,permanent_address';
const GOOD_1 = '001085023456,Nguyễn Văn An,1985-11-02,Nam,0912 345 678,"Số 12 Láng Hạ, Hà Nội"';
const GOOD_2 = '079305056789,Lê Thị Chi,20/08/2005,Nữ,01662345678,"Nhà ""Hạnh Phúc"" & <Tầng 2>"';
const BAD_ID = '001085999,Trần Văn Sai,1985-01-01,Nam,0912 000 111,';
const BAD_PHONE = '001185023999,Trần Thị Sai,1985-01-01,Nữ,024 3825 1234,';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-'));
  db = join(dir, 'c.db');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const seed = (...args: string[]) => runTool('seed', args, { DATABASE_PATH: db });
function rows(): Record<string, unknown>[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT * FROM citizens ORDER BY id_number').all() as Record<string, unknown>[];
  } finally {
    d.close();
  }
}

describe('seed', () => {
  it('loads a valid CSV, storing E.164 phones (legacy numbers converted) and NFC text', () => {
    const r = seed(file('ok.csv', [HEADER, GOOD_1, GOOD_2, ''].join('\n')));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inserted 2, updated 0, rejected 0');
    const stored = rows();
    expect(stored.map((x) => x.phone)).toEqual(['+84912345678', '+84362345678']);
    expect(stored[1]).toMatchObject({ date_of_birth: '2005-08-20', sex: 'F', permanent_address: 'Nhà "Hạnh Phúc" & <Tầng 2>' });
    expect(String(stored[0]?.full_name)).toBe('Nguyễn Văn An'.normalize('NFC'));
  });

  it('is all-or-nothing by default: a rejected row writes nothing and exits 1, naming each line', () => {
    const r = seed(file('bad.csv', [HEADER, GOOD_1, BAD_ID, GOOD_2, BAD_PHONE].join('\n')));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^line 3: id_number: .+$/m);
    expect(r.stderr).toMatch(/^line 5: phone: .+$/m);
    expect(r.stdout).toContain('rejected 2');
    expect(r.stdout).toContain('nothing written');
    expect(rows()).toEqual([]);
  });

  it('commits the valid rows with --skip-invalid and still exits 1', () => {
    const r = seed(file('bad.csv', [HEADER, GOOD_1, BAD_ID, GOOD_2].join('\n')), '--skip-invalid');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('inserted 2, updated 0, rejected 1');
    expect(rows()).toHaveLength(2);
  });

  it('rejects a second row with the same id_number in one file', () => {
    const r = seed(file('dup.csv', [HEADER, GOOD_1, GOOD_1].join('\n')), '--skip-invalid');
    expect(r.stderr).toMatch(/^line 3: id_number: duplicate/m);
    expect(rows()).toHaveLength(1);
  });

  it('reads UTF-8 with a BOM and CRLF line ends, columns in any order, quoted newlines', () => {
    const header = 'phone,sex,full_name,id_number,date_of_birth,permanent_address';
    const csv = `\uFEFF${header}\r\n0912345678,Nam,Nguyễn Văn An,001085023456,1985-11-02,"Dòng 1\r\nDòng 2"\r\n0912000111,Nam,Sai,001085999,1985-01-01,\r\n`;
    const r = seed(file('bom.csv', csv));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^line 4: id_number/m);
    const ok = seed(file('bom2.csv', csv.split('\r\n').slice(0, 3).join('\r\n')));
    expect(ok.code).toBe(0);
    expect(rows()[0]?.permanent_address).toBe('Dòng 1\r\nDòng 2');
  });

  it('loads JSON and names rejected items by their 1-based position', () => {
    const items = [
      { id_number: '001085023456', full_name: 'Nguyễn Văn An', date_of_birth: '1985-11-02', sex: 'male', phone: '+84912345678' },
      { id_number: '001085023457', full_name: '', date_of_birth: '1985-11-02', sex: 'M', phone: '+84912345678' },
      'not an object',
    ];
    const r = seed(file('c.json', JSON.stringify(items)), '--skip-invalid');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^item 2: .*full_name/m);
    expect(r.stderr).toMatch(/^item 3: not an object$/m);
    expect(rows()).toHaveLength(1);
  });

  it('is idempotent: seeding the same file again updates, and an edited row is upserted', () => {
    const path = file('ok.csv', [HEADER, GOOD_1, GOOD_2].join('\n'));
    expect(seed(path).stdout).toContain('inserted 2, updated 0');
    expect(seed(path).stdout).toContain('inserted 0, updated 2');
    const edited = file('edit.csv', [HEADER, GOOD_1.replace('Nguyễn Văn An', 'Nguyễn Văn Ân')].join('\n'));
    expect(seed(edited).stdout).toContain('inserted 0, updated 1');
    expect(rows()).toHaveLength(2);
    expect(rows()[0]?.full_name).toBe('Nguyễn Văn Ân');
  });

  it('loads the sample data', () => {
    const r = seed(join(process.cwd(), 'data', 'sample-citizens.csv'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inserted \d+, updated 0, rejected 0/);
    expect(rows().length).toBeGreaterThanOrEqual(18);
  });

  it('generates deterministic fake records that all validate', () => {
    const out1 = join(dir, 'f1.csv');
    expect(seed('--fake', '300', '--out', out1).code).toBe(0);
    const r = seed(out1);
    expect(r.stdout).toContain('inserted 300, updated 0, rejected 0');
    expect(seed('--fake', '300').stdout).toContain('inserted 0, updated 300, rejected 0');
  });

  const usage: [string, () => string[], RegExp][] = [
    ['no file', () => [], /no file given/],
    ['a missing file', () => [join(dir, 'nope.csv')], /cannot read/],
    [
      'an unreadable file (a folder named .csv)',
      () => {
        const p = join(dir, 'folder.csv');
        mkdirSync(p);
        return [p];
      },
      /cannot read/,
    ],
    ['an unknown extension', () => [file('c.txt', HEADER)], /unknown file extension/],
    ['a missing required column', () => [file('c.csv', 'id_number,full_name,sex,phone\n')], /missing required column date_of_birth/],
    ['JSON that is not an array', () => [file('c.json', '{"a":1}')], /JSON array/],
    ['an unknown option', () => ['--bogus'], /bogus/],
  ];
  it.each(usage)('exits 2 with a one-line message for %s', (_name, args, message) => {
    const r = seed(...args());
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
