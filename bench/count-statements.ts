/**
 * A preload (`node --import dist/bench/count-statements.js ...`) that counts what a server asks of
 * its database, for the benchmark's "statements and round trips per message" figure. It wraps:
 * - better-sqlite3: every statement run (`run`, `get`, `all`, `iterate`) and every `exec`
 *   (`BEGIN IMMEDIATE`, `COMMIT`...), and counts `COMMIT`s (group commits);
 * - pg: every `Client.query`, and the round trips: a query sent while its connection waits for
 *   no other query starts a round trip; queries pipelined behind it share that one.
 * Each SIGUSR2 writes `{"statements", "commits", "roundTrips"}` so far to a file. Only the
 * benchmark's counting run loads it, never a timed round.
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';

const counts = { statements: 0, commits: 0, roundTrips: 0 };

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
function wrap(target: object, name: string, before: (self: unknown, args: unknown[]) => void): void {
  const original = Reflect.get(target, name) as AnyFunction;
  Reflect.set(target, name, function (this: unknown, ...args: unknown[]) {
    before(this, args);
    return original.apply(this, args);
  });
}

const probe = new Database(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as object;
probe.close();
for (const name of ['run', 'get', 'all', 'iterate']) wrap(statementPrototype, name, () => counts.statements++);
wrap(Database.prototype, 'exec', (_self, args) => {
  counts.statements++;
  if (typeof args[0] === 'string' && /^\s*COMMIT/i.test(args[0])) counts.commits++;
});

const pendingByClient = new WeakMap<object, number>();
const originalQuery = Reflect.get(pg.Client.prototype, 'query') as AnyFunction;
Reflect.set(pg.Client.prototype, 'query', function (this: object, ...args: unknown[]) {
  counts.statements++;
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
  if (typeof text === 'string' && /^\s*COMMIT/i.test(text)) counts.commits++;
  const pending = pendingByClient.get(this) ?? 0;
  if (pending === 0) counts.roundTrips++;
  const result = originalQuery.apply(this, args);
  if (result instanceof Promise) {
    pendingByClient.set(this, pending + 1);
    const done = () => pendingByClient.set(this, (pendingByClient.get(this) ?? 1) - 1);
    result.then(done, done);
  }
  return result;
});

// SIGUSR2 writes the counts so far to `BENCH_COUNT_FILE.<n>` (n = 1, 2...): the benchmark takes
// one snapshot before its requests and one after, so start-up and shutdown are not counted.
let snapshots = 0;
process.on('SIGUSR2', () => {
  const file = process.env.BENCH_COUNT_FILE;
  if (file) writeFileSync(`${file}.${++snapshots}`, JSON.stringify(counts));
});
