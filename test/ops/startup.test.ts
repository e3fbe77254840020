// The compiled server at start: a setting or a database it cannot use is refused in one line with
// a non-zero exit, never a stack trace; the log names the webhook URL for the Twilio console; the
// settings file is read, and the real environment wins over it.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnv, SERVER_JS } from '../../src/testing/processes.js';
import { damagePage, PUBLIC_BASE, ROOT, seedFake, serverEnv, startServer, tempDir, TOKEN } from './proc.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('start-'));
});
afterEach(() => {
  cleanup();
});

/** Runs the server to its end (it must refuse to start). */
function refusedStart(env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, [SERVER_JS], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('server start', () => {
  it.each([
    [
      'a PUBLIC_BASE_URL with a path',
      { PUBLIC_BASE_URL: `${PUBLIC_BASE}/sms` },
      /^error: Invalid setting PUBLIC_BASE_URL: must be the scheme and host only.*drop the path \/sms$/,
    ],
    [
      'a PUBLIC_BASE_URL with a query',
      { PUBLIC_BASE_URL: `${PUBLIC_BASE}/?k=v` },
      /^error: Invalid setting PUBLIC_BASE_URL: .*drop a query$/,
    ],
    [
      'a PUBLIC_BASE_URL with a fragment',
      { PUBLIC_BASE_URL: `${PUBLIC_BASE}#top` },
      /^error: Invalid setting PUBLIC_BASE_URL: .*drop a fragment$/,
    ],
  ])('refuses %s in one line and exits 1', (_name, extra, message) => {
    const r = refusedStart(serverEnv(join(dir, 'c.db'), extra));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('refuses a file that is not a database in one line and exits 1', () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are notes, not a database '.repeat(200));
    const r = refusedStart(serverEnv(file));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: cannot open the database ${file}: file is not a database`);
  });

  it('refuses a database that fails its quick integrity check, so that it never says ready on one', async () => {
    const file = join(dir, 'damaged.db');
    await seedFake(file, 2_000);
    damagePage(file);
    const r = refusedStart(serverEnv(file));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^error: the database ${file} fails its integrity check \\(.+\\): restore a backup with npm run admin -- restore <file>$`),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('logs the exact webhook URL to enter in the Twilio console', async () => {
    const s = await startServer(serverEnv(join(dir, 'c.db')));
    try {
      const consoleLine = () => s.logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('Twilio console'));
      // Logged just after "listening", which is what startServer waits for.
      for (let i = 0; i < 100 && !consoleLine(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const line = consoleLine();
      expect(line).toMatchObject({
        webhookUrl: `${PUBLIC_BASE}/sms`,
        msg: `Twilio console, "A message comes in": Webhook, HTTP POST, ${PUBLIC_BASE}/sms`,
      });
    } finally {
      s.proc.kill('SIGTERM');
      await s.exited;
    }
  });

  it('reads the settings file, and a variable of the real environment wins over it', async () => {
    const envFile = join(dir, 'service.env');
    writeFileSync(envFile, `PUBLIC_BASE_URL=https://from-the-file.example.vn\nTWILIO_AUTH_TOKEN=${TOKEN}\nNODE_ENV=production\n`);
    const base = { ENV_FILE: envFile, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'c.db'), LOG_LEVEL: 'info' };
    const fromFile = await startServer(base);
    const won = await startServer({ ...base, DATABASE_PATH: join(dir, 'd.db'), PUBLIC_BASE_URL: PUBLIC_BASE });
    try {
      const webhook = (logs: Record<string, unknown>[]) => logs.find((l) => l.msg === 'listening')?.webhookUrl;
      expect(webhook(fromFile.logs())).toBe('https://from-the-file.example.vn/sms');
      expect(webhook(won.logs())).toBe(`${PUBLIC_BASE}/sms`);
      const read = fromFile.logs().find((l) => l.msg === 'settings file read');
      expect(read).toMatchObject({ file: envFile, kept: [] });
      expect((read?.set as string[]).toSorted()).toEqual(['NODE_ENV', 'PUBLIC_BASE_URL', 'TWILIO_AUTH_TOKEN']);
      expect(won.logs().find((l) => l.msg === 'settings file read')).toMatchObject({ kept: ['PUBLIC_BASE_URL'] });
      expect(fromFile.output()).not.toContain(TOKEN);
    } finally {
      for (const s of [fromFile, won]) s.proc.kill('SIGTERM');
      await Promise.all([fromFile.exited, won.exited]);
    }
  });
});
