// A short smoke run of `npm run soak` (the compiled bench/soak.ts): the real server, mixed
// traffic for 3 seconds, the report and its checks. The full run is 2 minutes (see
// docs/deploy.md); 3 seconds mostly measure warm-up, so the RSS bound is loosened here.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv } from '../../src/testing/processes.js';
import { ROOT } from './proc.js';

function soak(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bench/soak.js'), ...args], { cwd: ROOT, env: childEnv({}) });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe('npm run soak (smoke)', () => {
  it('drives every kind of traffic, reports, and passes its checks', async () => {
    const r = await soak(['--duration', '3', '--records', '500', '--connections', '8', '--max-rss-growth', '50']);
    expect(r.code, r.out).toBe(0);
    for (const kind of ['lookup', 'wrong_id', 'bad_signature', 'stop_start', 'duplicate', 'oversize', 'probe']) {
      expect(r.out).toMatch(new RegExp(`^  ${kind} +[1-9]\\d* `, 'm'));
    }
    expect(r.out).toMatch(/^PASS {2}no 5xx \(0\)$/m);
    expect(r.out).toMatch(/^PASS {2}no crash: alive at the end, SIGTERM exit 0$/m);
    expect(r.out).toMatch(/^PASS {2}RSS growth over the second half /m);
    const served = /^PASS {2}audited served replies (\d+) == served replies counted by the client (\d+)$/m.exec(r.out);
    expect(served?.[1]).toBe(served?.[2]);
    expect(Number(served?.[1])).toBeGreaterThan(0);
    expect(r.out).toMatch(/server RSS \(MiB\): start [\d.]+, mid [\d.]+, end [\d.]+/);
    expect(r.out).not.toMatch(/^FAIL/m);
    expect(r.out).toContain('soak: all checks passed');
  });

  it('is bounded: refuses a duration or count outside its limits', async () => {
    expect((await soak(['--duration', '0'])).code).toBe(2);
    expect((await soak(['--duration', '100000'])).code).toBe(2);
    expect((await soak(['--max-requests', '0'])).code).toBe(2);
  });

  it('stops at --max-requests even before its duration', async () => {
    const r = await soak(['--duration', '60', '--records', '200', '--max-requests', '300', '--connections', '4']);
    expect(r.code, r.out).toBe(0);
    const m = /^requests: (\d+) in ([\d.]+) s/m.exec(r.out);
    // STOP then START counts two requests for one draw, so a few more than 300 may be sent.
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(300);
    expect(Number(m?.[1])).toBeLessThan(400);
    expect(Number(m?.[2])).toBeLessThan(30);
  });
});
