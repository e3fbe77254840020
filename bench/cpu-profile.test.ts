import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfTimeByArea, topSelfTime } from './cpu-profile.js';

// A made-up profile: each node is sampled once, for the microseconds given.
const FRAMES: [string, string, number][] = [
  ['(idle)', '', 5000],
  ['(garbage collector)', '', 200],
  ['sqliteTransaction', 'file:///app/node_modules/better-sqlite3/lib/methods/transaction.js', 150],
  ['findCitizen', 'file:///app/dist/src/store/sqlite.js', 150],
  ['getExpectedTwilioSignature', 'file:///app/node_modules/twilio/lib/webhooks/webhooks.js', 30],
  ['Hmac', 'node:internal/crypto/hash', 20],
  ['writev', '', 100],
  ['parserOnIncoming', 'node:_http_server', 100],
  ['next', 'file:///app/node_modules/router/index.js', 100],
  ['parseForm', 'file:///app/dist/src/sms/form.js', 80],
  ['write', 'file:///app/node_modules/pino/lib/proto.js', 20],
  ['(program)', '', 50],
];

const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const file = join(dir, 'test.cpuprofile');
writeFileSync(
  file,
  JSON.stringify({
    nodes: FRAMES.map(([functionName, url], i) => ({ id: i + 1, callFrame: { functionName, url, lineNumber: 0 } })),
    samples: FRAMES.map((_, i) => i + 1),
    timeDeltas: FRAMES.map(([, , us]) => us),
  }),
);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CPU profile summaries', () => {
  it('sums busy time (idle left out) by area, largest first', () => {
    const areas = selfTimeByArea(file);
    expect(areas.map((a) => [a.area, a.ms])).toEqual([
      ['SQLite (better-sqlite3, src/store)', 0.3],
      ['HTTP and Express (node:http, sockets, express, router)', 0.3],
      ['garbage collection', 0.2],
      ['webhook code: form, parsing, rendering, logs, metrics', 0.1],
      ['signature and sender key (twilio, HMAC)', 0.05],
      ['other (Node internals, V8, start-up)', 0.05],
    ]);
    expect(areas.reduce((n, a) => n + a.share, 0)).toBeCloseTo(1);
    expect(areas[0]?.share).toBeCloseTo(0.3);
  });

  it('lists the functions by self time with the busy and total time', () => {
    const { totalMs, busyMs, functions } = topSelfTime(file, 2);
    expect(totalMs).toBeCloseTo(6);
    expect(busyMs).toBeCloseTo(1);
    expect(functions.map((f) => f.name)).toEqual(['(garbage collector)', 'sqliteTransaction']);
    expect(functions[1]?.where).toBe('better-sqlite3/lib/methods/transaction.js:1');
  });
});
