// The seed command run as a process on temporary databases: strict rollback, --skip-invalid,
// BOM and CRLF, JSON, idempotent re-seeding, line numbers and every exit code.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeCsvChunks } from '../../src/seeding/fake.js';
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

  describe('files that are not UTF-8', () => {
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    const NOT_UTF8 = 'not valid UTF-8 (save the file as UTF-8)';
    // "Nguyễn Văn An" as Windows-1258 writes it: ê (0xEA) then a combining tilde (0xDE), ă as 0xE3.
    const CP1258_ROW = Buffer.concat([
      utf8('001085023457,Nguy'),
      Buffer.from([0xea, 0xde]),
      utf8('n V'),
      Buffer.from([0xe3]),
      utf8('n An,1985-11-02,Nam,0912345679,\n'),
    ]);
    // "Lê Thị Chi" in Latin-1: ê is 0xEA (and ị does not exist there: an export writes "?").
    const LATIN1_ROW = Buffer.from('079305056780,L\xea Th? Chi,20/08/2005,F,0912345670,\n', 'latin1');
    const binary = (name: string, ...parts: Buffer[]) => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat(parts));
      return path;
    };

    it.each<[string, Buffer[], number]>([
      ['Windows-1258', [utf8(`${HEADER}\n${GOOD_1}\n`), CP1258_ROW], 3],
      [
        'Latin-1, after a quoted field over two lines',
        [utf8(`${HEADER}\n${GOOD_1.replace('Số 12 Láng', 'Số 12\nLáng')}\n`), LATIN1_ROW],
        4,
      ],
      [
        'an invalid byte inside a quoted field, on its second line',
        [utf8(`${HEADER}\n001085023456,Nguyễn Văn An,1985-11-02,Nam,0912345678,"Số 12\nL`), Buffer.from([0xff]), utf8('ng Hạ"\n')],
        3,
      ],
      [
        'an invalid byte on the header line',
        [utf8('id_number,full_name,date_of_birth,sex,phone,'), Buffer.from([0xc3, 0x28]), utf8(`\n${GOOD_1}\n`)],
        1,
      ],
      [
        'a sequence cut off at the end of the file',
        [utf8(`${HEADER}\n${GOOD_1}\n${GOOD_2}\n001085023458,Nguy`), Buffer.from([0xe1, 0xbb])],
        4,
      ],
    ])('%s: names the line of the first bad byte, writes nothing and exits 1', (_name, parts, line) => {
      const r = seed(binary('bad.csv', ...parts));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^line ${line}: ${NOT_UTF8.replace(/[()]/g, '\\$&')}$`, 'm'));
      expect(r.stderr).not.toMatch(/Quote Not Closed|Invalid Record Length/);
      expect(r.stdout).toContain('nothing written');
      expect(rows()).toEqual([]);
    });

    it('finds the bad line past the first read chunks of a large file, and --skip-invalid keeps the rows before it', () => {
      const fake = [...fakeCsvChunks(3_010)].join('').split('\n'); // the header, 3,010 rows and ''
      const path = binary('big.csv', utf8(`${fake.slice(0, 3_001).join('\n')}\n`), LATIN1_ROW, utf8(fake.slice(3_001).join('\n')));
      const strict = seed(path);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(new RegExp(`^line 3002: not valid UTF-8`, 'm'));
      expect(rows()).toEqual([]);
      const lenient = seed(path, '--skip-invalid');
      expect(lenient.code).toBe(1);
      expect(lenient.stderr).toMatch(/^line 3002: not valid UTF-8/m);
      expect(lenient.stderr).toMatch(/^warning: stopped reading at line 3002: the rest of the file was not read$/m);
      expect(lenient.stdout).toContain('inserted 3000, updated 0, rejected 1');
    });

    it('names the line of the first bad byte in JSON too', () => {
      const items = [
        { id_number: '001085023456', full_name: 'Nguyễn Văn An', date_of_birth: '1985-11-02', sex: 'male', phone: '+84912345678' },
        { id_number: '001085023457', full_name: 'Nguyễn Văn Bình', date_of_birth: '1985-11-02', sex: 'male', phone: '+84912345679' },
      ];
      const text = JSON.stringify(items, null, 2); // one field per line: "Bình" is on line 10
      const cut = text.indexOf('Bình');
      const path = binary('bad.json', utf8(text.slice(0, cut)), Buffer.from('B\xecnh', 'latin1'), utf8(text.slice(cut + 'Bình'.length)));
      const r = seed(path);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^line ${text.slice(0, cut).split('\n').length}: not valid UTF-8 \\(save the file as UTF-8\\)$`, 'm'),
      );
      expect(rows()).toEqual([]);
    });

    it('still loads UTF-16 with its byte order mark (FF FE), as before', () => {
      const r = seed(binary('utf16.csv', Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\n${GOOD_1}\n`, 'utf16le')));
      expect(r.code).toBe(0);
      expect(rows()[0]?.full_name).toBe('Nguyễn Văn An');
    });
  });

  describe('hostile files: bounded columns and fields, read no further than the bound', () => {
    const row = (fields: Partial<Record<'name' | 'address', string>>) =>
      `001085023456,${fields.name ?? 'Nguyễn Văn An'},1985-11-02,Nam,0912 345 678,"${fields.address ?? 'Số 12 Láng Hạ'}"`;
    /** A byte that is not UTF-8: reported only if the reader gets that far. */
    const SENTINEL = Buffer.from([0xff, 0x0a]);
    const big = (name: string, ...parts: (string | Buffer)[]) => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
      return path;
    };

    it('refuses a field over 500 characters on its line, and --skip-invalid loads the other rows', () => {
      const path = file(
        'long.csv',
        [
          HEADER,
          GOOD_2,
          row({ address: 'x'.repeat(501) }),
          row({ address: 'x'.repeat(500) }).replace('001085023456', '001085023457'),
          '',
        ].join('\n'),
      );
      const strict = seed(path);
      expect(strict.code).toBe(1);
      expect(strict.stderr.trim().split('\n')).toEqual([
        'line 3: permanent_address longer than 500 characters',
        'rejected 1 row, by reason: permanent_address longer than 500 characters 1',
      ]);
      expect(rows()).toEqual([]);
      const lenient = seed(path, '--skip-invalid');
      expect(lenient.stdout).toContain('inserted 2, updated 0, rejected 1');
    });

    it('refuses a 10 MB address after reading a bounded part of it: the bad byte after it is never reached', () => {
      const path = big('huge.csv', `${HEADER}\n${GOOD_2}\n`, row({ address: 'Số 12 '.repeat(1_700_000) }), '\n', SENTINEL, `${GOOD_1}\n`);
      const r = seed(path);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^line 3: permanent_address longer than 500 characters$/m);
      expect(r.stderr).toMatch(/^warning: stopped reading at line 3: the rest of the file was not read$/m);
      expect(r.stderr).not.toContain('UTF-8');
      expect(rows()).toEqual([]);
    });

    it('names the first long column even when a later one reaches the record bound', () => {
      const r = seed(file('two.csv', [HEADER, row({ name: 'a'.repeat(40_000), address: 'b'.repeat(60_000) }), ''].join('\n')));
      expect(r.stderr).toMatch(/^line 2: full_name longer than 500 characters$/m);
      expect(r.code).toBe(1);
    });

    it.each<[string, () => string, RegExp]>([
      ['65 columns', () => file('c.csv', `${HEADER}${',extra'.repeat(59)}\n${GOOD_1}\n`), /^error: too many columns: 65 \(at most 64\)$/],
      [
        '100,000 columns',
        () => file('c.csv', `${HEADER},${Array.from({ length: 100_000 - 6 }, (_, i) => `c${i}`).join(',')}\n${GOOD_1}\n`),
        /^error: the header is longer than 96000 bytes/,
      ],
      [
        'a 10 MB line, with a bad byte at its end that is never reached',
        () => big('c.csv', `${HEADER},`, 'x'.repeat(10_000_000), SENTINEL, `${GOOD_1}\n`),
        /^error: the header is longer than 96000 bytes/,
      ],
      [
        'a column name over 500 characters',
        () => file('c.csv', `${HEADER},${'n'.repeat(501)}\n${GOOD_1}\n`),
        /^error: the name of column 7 is longer than 500 characters$/,
      ],
      ['a column given twice (in other case)', () => file('c.csv', `${HEADER},Phone\n${GOOD_1},x\n`), /^error: duplicate column phone$/],
    ])('refuses, with one line and exit 2, a header with %s', (_name, path, message) => {
      const r = seed(path());
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('bounds JSON records the same way', () => {
      const person = {
        id_number: '001085023456',
        full_name: 'Nguyễn Văn An',
        date_of_birth: '1985-11-02',
        sex: 'male',
        phone: '+84912345678',
      };
      const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`extra_${i}`, '']));
      const items = [
        { ...person, permanent_address: 'x'.repeat(10_000_000) },
        { ...person, id_number: '001085023457', ...wide },
        { ...person, id_number: '001085023458', hometown: 'y'.repeat(500) },
      ];
      const r = seed(file('c.json', JSON.stringify(items)), '--skip-invalid');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^item 1: permanent_address longer than 500 characters$/m);
      expect(r.stderr).toMatch(/^item 2: more than 64 fields$/m);
      expect(rows()).toHaveLength(1);
    });
  });

  describe('output', () => {
    it('names the target database before anything else', () => {
      const r = seed(file('ok.csv', [HEADER, GOOD_1, BAD_ID].join('\n')));
      expect(r.stdout.split('\n')[0]).toBe(`loading ${join(dir, 'ok.csv')} into SQLite ${db}`);
      const fake = seed('--fake', '3');
      expect(fake.stdout.split('\n')[0]).toBe(`loading 3 fake records into SQLite ${db}`);
    });

    it('prints the first 20 rejected rows, then how many more and a summary by reason', () => {
      const bad = Array.from({ length: 25 }, (_, i) => BAD_PHONE.replace('001185023999', `0011850240${String(i).padStart(2, '0')}`));
      const r = seed(file('many.csv', [HEADER, GOOD_1, ...bad, BAD_ID, BAD_ID.replace('001085999', '0010859')].join('\n')));
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(22);
      expect(lines.slice(0, 20).every((l) => /^line \d+: phone: /.test(l))).toBe(true);
      expect(lines[0]).toMatch(/^line 3: /);
      expect(lines[20]).toBe('... and 7 more rejected rows (the first 20 are shown)');
      expect(lines[21]).toBe('rejected 27 rows, by reason: phone 25, id_number 2');
      expect(r.stdout).toContain('rejected 27');
    });

    it('exits 1 with "no records" for a file with no rows, CSV or JSON', () => {
      for (const empty of [file('head.csv', `${HEADER}\n`), file('empty.json', '[]')]) {
        const r = seed(empty);
        expect(r.code).toBe(1);
        expect(r.stderr.trim()).toBe(`error: no records in ${empty}`);
        expect(r.stdout).not.toContain('inserted');
      }
    });

    it('refuses to overwrite a file with --out unless --force is given', () => {
      const out = file('fake.csv', 'keep me');
      const refused = seed('--fake', '2', '--out', out);
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim()).toBe(`error: ${out} exists: choose a new file, or add --force to overwrite it`);
      expect(readFileSync(out, 'utf8')).toBe('keep me');
      const forced = seed('--fake', '2', '--out', out, '--force');
      expect(forced.code).toBe(0);
      expect(readFileSync(out, 'utf8').split('\n')).toHaveLength(4);
      const fresh = seed('--fake', '2', '--out', join(dir, 'new.csv'));
      expect(fresh.code).toBe(0);
    });

    it('calls --out without --fake, or --force without --out, a usage error', () => {
      const out = seed(file('ok.csv', [HEADER, GOOD_1].join('\n')), '--out', join(dir, 'x.csv'));
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/^error: --out writes fake records: it needs --fake N/);
      expect(existsSync(join(dir, 'x.csv'))).toBe(false);
      expect(seed('--fake', '2', '--force').stderr).toMatch(/^error: --force only applies to --out/);
      expect(existsSync(db)).toBe(false);
    });

    it('tells to put -- before the options when npm took them (npm run seed --fake 10)', () => {
      // What npm 10 and 11 pass for `npm run seed --fake 10`: the lone `10`, and --fake as its own setting.
      const r = runTool('seed', ['10'], { DATABASE_PATH: db, npm_lifecycle_event: 'seed', npm_config_fake: 'true' });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        "error: npm took --fake for its own setting, so the tool did not get it: put -- before the tool's options, as in npm run seed -- --fake ...",
      );
      const right = runTool('seed', ['--fake', '2'], { DATABASE_PATH: db, npm_lifecycle_event: 'seed' });
      expect(right.code).toBe(0);
    });

    it('draws no bar (no carriage return, no escape code) when stderr is a pipe', () => {
      // The first update comes after 5,000 rows; lines then come at most every 5 s, so a quick load shows none.
      const r = seed('--fake', '6000');
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('\r');
      expect(r.stderr).not.toContain('\u001b');
    });
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
