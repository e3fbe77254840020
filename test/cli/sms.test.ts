// The SMS simulator run as a process against a real server: it signs exactly as Twilio does.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizen } from '../../src/testing/citizens.js';
import { PUBLIC_BASE, startTestServer, TOKEN, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer([citizen()]);
});
afterAll(async () => s.close());

async function sms(args: string[], token = TOKEN) {
  const script = join(process.cwd(), 'dist', 'src', 'cli', 'sms.js');
  try {
    const r = await run(process.execPath, [script, '--url', s.url, ...args], {
      env: { PATH: process.env.PATH ?? '', ENV_FILE: '', TWILIO_AUTH_TOKEN: token, PUBLIC_BASE_URL: PUBLIC_BASE },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run sms', () => {
  it('signs like Twilio, converts a local number to E.164 and prints the reply with its segments', async () => {
    const r = await sms(['--from', '0912 345 678', 'TT 001099054321']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Ho ten: Nguyen Van Thu');
    expect(r.stdout).toMatch(/--- GSM-7, \d+ characters, \d segments?/);
  });

  it('reports an empty reply', async () => {
    const r = await sms(['--from', '0912345678', 'STOP']);
    expect(r.stdout).toContain('no reply');
    await sms(['--from', '0912345678', 'START']);
  });

  it('shows the server refusing a wrong token', async () => {
    const r = await sms(['--from', '0912345678', 'TT 001099054321'], 'wrong-token');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'refused: HTTP 403: Forbidden: X-Twilio-Signature does not match',
      `signed for ${PUBLIC_BASE}/sms with TWILIO_AUTH_TOKEN; posted to ${s.url}/sms (the server must have the same PUBLIC_BASE_URL and token)`,
    ]);
  });

  it('exits 2 without --from', async () => {
    const r = await sms(['TT 001099054321']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from is required/);
  });
});
