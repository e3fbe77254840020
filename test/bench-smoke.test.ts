// A smoke run of `npm run bench` (the compiled bench/run.ts, built by test/global-setup.ts) with
// --smoke: 2,000 records, 1-second rounds. It only proves that the benchmark works end to end
// (seeding both ways, both servers under load, every reply checked); it asserts nothing about
// speed, which a CI machine cannot judge.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv } from '../src/testing/processes.js';

const ROOT = process.cwd();

function bench(args: string[], timeoutMs = 80_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'bench', 'run.js'), ...args], {
    cwd: ROOT,
    env: childEnv(),
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('npm run bench (smoke)', () => {
  it('seeds both ways, drives both servers, verifies every reply and prints the results table', { timeout: 90_000 }, async () => {
    const r = await bench(['--smoke']);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.code, output).toBe(0);
    expect(r.stdout).toMatch(/^RESULTS$/m);
    expect(r.stdout).toMatch(/^machine: .+, nproc \d+, [\d,]+ MiB RAM/m);
    // Every figure of both tables is a number.
    expect(r.stdout).toMatch(/^project: seed CLI \(validation, upsert\) +[\d.]+ +[\d,]+ +\d+$/m);
    expect(r.stdout).toMatch(/^bare better-sqlite3 insert loop +[\d.]+ +[\d,]+ +\d+$/m);
    expect(r.stdout).toMatch(/^ratio project \/ bare +[\d.]+ x$/m);
    expect(r.stdout).toMatch(/^real server \(TT lookups\) +[\d,]+ +[\d.]+ +[\d.]+ +\d+ +[\d,]+ +\d+%$/m);
    expect(r.stdout).toMatch(/^bare Express 5 handler +[\d,]+ +[\d.]+ +[\d.]+ +\d+ +[\d,]+ +\d+%$/m);
    expect(r.stdout).toMatch(/^ratio real \/ bare +[\d.]+ x +[\d.]+ x +[\d.]+ x +[\d.]+ x$/m);
    expect(r.stdout).toMatch(/^floor \(least work, same guarantees\) +[\d,]+ +[\d.]+ +[\d.]+ +\d+ +[\d,]+ +\d+%$/m);
    expect(r.stdout).toMatch(/^ratio real \/ floor +[\d.]+ x/m);
    expect(r.stdout).toMatch(/^SQLite +[\d,]+ +[\d.]+ +[\d.]+ +0 \(in process\)$/m);
    expect(r.stdout).not.toMatch(/^real server on PostgreSQL/m);
    // Seven targets, each judged (PASS or MISS: a smoke run says nothing about speed).
    expect(r.stdout.match(/ (PASS|MISS)$/gm)).toHaveLength(7);
    // Real lookups, each reply checked for the citizen's name; none wrong; the audit log agrees.
    const checked =
      /^replies checked: ([\d,]+) real lookups verified \(200, the citizen's name in the reply\), 0 wrong; bare: ([\d,]+) fixed replies; audit log: ([\d,]+) served, 0 other; receipts: ([\d,]+) callbacks answered 204, ([\d,]+) delivery events recorded$/m.exec(
        r.stdout,
      );
    expect(checked, r.stdout).not.toBeNull();
    const count = (s: string | undefined) => Number((s ?? '').replace(/,/g, ''));
    expect(count(checked?.[1])).toBeGreaterThan(0);
    expect(count(checked?.[2])).toBeGreaterThan(0);
    expect(count(checked?.[3])).toBeGreaterThanOrEqual(count(checked?.[1]));
    // Delivery receipts: callbacks answered 204, each one recorded.
    expect(count(checked?.[4])).toBeGreaterThan(0);
    expect(count(checked?.[5])).toBe(count(checked?.[4]));
    expect(r.stdout).toMatch(/^receipts POST \/sms\/status \(delivered\) +[\d,]+ +[\d.]+ +[\d.]+ +[\d,]+ +\d+%$/m);
    expect(r.stdout).toMatch(/^verification: OK$/m);
  });

  it(
    'with --store postgres, adds PostgreSQL with one node and two, its seeding against a bare COPY, and the sizing',
    { timeout: 150_000 },
    async () => {
      const r = await bench(['--smoke', '--store', 'postgres'], 140_000);
      const output = `${r.stdout}\n${r.stderr}`;
      expect(r.code, output).toBe(0);
      expect(r.stdout).toMatch(/^project on PostgreSQL: seed CLI \(COPY\) +[\d.]+ +[\d,]+ +\d+$/m);
      expect(r.stdout).toMatch(/^bare COPY of the CSV file +[\d.]+ +[\d,]+ +\d+$/m);
      expect(r.stdout).toMatch(/^real server on PostgreSQL, 1 node +[\d,]+ +[\d.]+ +[\d.]+ +\d+ +[\d,]+ +\d+% \+ \d+%$/m);
      // Two nodes: each node's CPU, then PostgreSQL's.
      expect(r.stdout).toMatch(/^real server on PostgreSQL, 2 nodes +[\d,]+ +[\d.]+ +[\d.]+ +\d+ +[\d,]+ +\d+% \+ \d+% \+ \d+%$/m);
      expect(r.stdout).toMatch(/^ratio PostgreSQL 2 nodes \/ 1 node +[\d.]+ x/m);
      // Statements and round trips per message on each store, counted.
      expect(r.stdout).toMatch(/^PostgreSQL +[\d,]+ +[\d.]+ +[\d.]+ +[\d.]+$/m);
      expect(r.stdout).toMatch(/^PostgreSQL citizens indexes +[\d.]+ MiB +[\d,]+ B +[\d.]+ GiB$/m);
      expect(r.stdout.match(/ (PASS|MISS)$/gm)).toHaveLength(10);
      // Both audit logs hold a served row for every verified reply.
      expect(r.stdout).toMatch(/^replies checked: .* 0 wrong;.* PostgreSQL: [\d,]+ verified, audit log [\d,]+ served$/m);
      expect(r.stdout).toMatch(/^verification: OK$/m);
    },
  );
});

describe('the benchmark measures what npm start runs', () => {
  it('starts the server with the same Node flags as `npm start` and the systemd unit', async () => {
    const { SERVER_NODE_FLAGS } = await import('../bench/server-flags.js');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const unit = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const flags = SERVER_NODE_FLAGS.join(' ');
    expect(flags).toMatch(/--max-old-space-size=\d+/);
    expect(pkg.scripts.start).toContain(`node ${flags} scripts/run.js dist/src/server.js`);
    expect(unit).toContain(`ExecStart=/usr/bin/node ${flags} dist/src/server.js`);
  });
});
