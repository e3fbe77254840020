import { describe, expect, it } from 'vitest';
import { countLines, firstBadUtf8Line, incompleteTail, Utf8LineGuard } from './utf8.js';

/** Runs `chunks` through a guard: what came out, and the bad line it found. */
async function guard(chunks: Buffer[]): Promise<{ out: Buffer; badLine: number | undefined }> {
  const g = new Utf8LineGuard();
  const out: Buffer[] = [];
  g.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((resolve) => g.once('end', resolve));
  for (const chunk of chunks) g.write(chunk);
  g.end();
  await ended;
  return { out: Buffer.concat(out), badLine: g.badLine };
}

/** Every way of cutting `buf` into two chunks. */
const everySplit = (buf: Buffer) => Array.from({ length: buf.length + 1 }, (_, i) => [buf.subarray(0, i), buf.subarray(i)]);

/** Five lines, one of them inside a quoted field (CRLF). */
const GOOD = Buffer.from('id,name\n1,Nguyễn Văn An\n2,"Dòng 1\r\nDòng 2 ẫ 😀"\n3,Lê Thị Chi\n', 'utf8');
const LATIN1_LINE = Buffer.from('4,L\xea Th\xe3 Chi\n', 'latin1');

describe('firstBadUtf8Line', () => {
  it.each<[string, Buffer, number | undefined]>([
    ['UTF-8 with every width of character', GOOD, undefined],
    ['an empty file', Buffer.alloc(0), undefined],
    ['a UTF-8 byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), GOOD]), undefined],
    ['a Latin-1 line after five good ones', Buffer.concat([GOOD, LATIN1_LINE]), 6],
    ['a bad byte on the first line', Buffer.from([0x61, 0xff, 0x0a]), 1],
    ['a truncated sequence at the end of the file', Buffer.concat([GOOD, Buffer.from([0xe1, 0xbb])]), 6],
    ['an overlong encoding', Buffer.from([0x0a, 0x0a, 0xc0, 0xaf]), 3],
    ['an encoded surrogate', Buffer.from([0x0a, 0xed, 0xa0, 0x80]), 2],
    ['the UTF-16 BE byte order mark', Buffer.from([0xfe, 0xff, 0x00, 0x61]), 1],
  ])('%s', (_name, buf, line) => {
    expect(firstBadUtf8Line(buf)).toBe(line);
  });
});

describe('incompleteTail and countLines', () => {
  it.each<[number[], number]>([
    [[0x61], 0],
    [[0xc3], 1],
    [[0xc3, 0xa9], 0],
    [[0xe1, 0xbb], 2],
    [[0xe1, 0xbb, 0x85], 0],
    [[0xf0, 0x9f, 0x98], 3],
    [[0xf0, 0x9f, 0x98, 0x80], 0],
  ])('%j ends with %i bytes of an unfinished sequence', (bytes, n) => {
    expect(incompleteTail(Buffer.from(bytes))).toBe(n);
  });
  it('counts line feeds', () => {
    expect(countLines(GOOD)).toBe(5);
    expect(countLines(Buffer.alloc(0))).toBe(0);
  });
});

describe('Utf8LineGuard', () => {
  it('passes valid UTF-8 on unchanged however it is cut into chunks', async () => {
    for (const chunks of everySplit(GOOD)) expect(await guard(chunks)).toEqual({ out: GOOD, badLine: undefined });
  });

  it('finds the line of the first bad byte however it is cut, and passes on exactly the lines before it', async () => {
    const file = Buffer.concat([GOOD, LATIN1_LINE, Buffer.from('5,ok\n')]);
    for (const chunks of everySplit(file)) expect(await guard(chunks)).toEqual({ out: GOOD, badLine: 6 });
  });

  it('finds a bad byte in a last line without a line feed, and a sequence cut off at the end', async () => {
    expect(await guard([Buffer.from('a\nb'), Buffer.from([0xff])])).toEqual({ out: Buffer.from('a\n'), badLine: 2 });
    expect(await guard([Buffer.from('a\nb\xc3', 'latin1')])).toEqual({ out: Buffer.from('a\n'), badLine: 2 });
  });

  it('counts lines across many chunks, and holds back no more than a bounded part of a very long line', async () => {
    const long = Buffer.from(`${'ẫ'.repeat(100_000)}\n`);
    const chunks = [Buffer.from('x\n'.repeat(1000)), long.subarray(0, 150_001), long.subarray(150_001), Buffer.from('y\n\xff\n', 'latin1')];
    const { out, badLine } = await guard(chunks);
    expect(badLine).toBe(1003);
    expect(out.equals(Buffer.concat([Buffer.from('x\n'.repeat(1000)), long, Buffer.from('y\n')]))).toBe(true);
  });

  it('passes a UTF-16 LE file (byte order mark FF FE) on as it is: csv-parse decodes it', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,ễ\n', 'utf16le')]);
    expect(await guard([utf16])).toEqual({ out: utf16, badLine: undefined });
  });
});
