// The browser simulator of demo mode, end to end in a real headless Chromium (Debian's package,
// driven by playwright-core): the page lists the sample citizens, a lookup typed from the keyboard
// goes through the real webhook (signature, service, audit) and the page shows the reply with its
// encoding and segments, and the record's access history as LS gives it. Outside demo mode the page
// and its API answer 404.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../src/testing/processes.js';
import { startTestServer } from './helpers/server.js';

/** Debian's package, installed by .ci/run when missing (playwright's own browser download cannot work here). */
const CHROMIUM = '/usr/bin/chromium';
let dir: string;
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simulator-'));
  // Demo mode: no Twilio credentials outside production; the sample records are seeded.
  server = await startServer({ env: { PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'demo.db'), LOG_LEVEL: 'info' }, dir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
afterAll(async () => {
  await browser.close();
  server.proc.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

describe('the browser simulator (demo mode)', () => {
  it('sends a typed lookup through the webhook and shows the reply, its segments and the access history', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    const outside: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(server.url.replace('127.0.0.1', 'localhost')) && !req.url().startsWith(server.url)) outside.push(req.url());
    });
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#person option').count()).toBeGreaterThan(1);
    // From the keyboard: the labelled controls, a typed number and message, Enter to send.
    await page.getByLabel('Công dân mẫu').selectOption({ label: 'Nguyễn Văn An (0912 345 678)' });
    await page.getByLabel('Số điện thoại gửi').fill('');
    await page.getByLabel('Số điện thoại gửi').pressSequentially('0912345678');
    await page.getByLabel('Tin nhắn').fill('');
    await page.getByLabel('Tin nhắn').pressSequentially('TT 001085023456');
    await page.getByLabel('Tin nhắn').press('Enter');
    const reply = page.locator('#reply');
    await expect.poll(() => reply.textContent()).toContain('Ho ten: Nguyen Van An');
    expect(await reply.textContent()).toContain('001******456');
    expect(await page.locator('#reply-meta').textContent()).toMatch(
      /^GSM-7, \d+ ký tự, \d tin\. Gửi từ \+84912345678, ký cho http:\/\/localhost:\d+\/sms$/,
    );
    expect(await page.locator('#history').textContent()).toMatch(/\d{2}\/\d{2} \d{2}:\d{2} TT .+\n/);

    // The banner says how to start the demo over.
    expect(server.output()).toContain(
      `To start the demo over: stop the server, delete ${join(dir, 'demo.db')} and its -wal and -shm files, and start again.`,
    );
    // It went through the real webhook: the server logged and audited the message.
    expect(server.logs().filter((l) => l.msg === 'sms' && l.command === 'TT' && l.outcome === 'served')).toHaveLength(1);

    // English, a refused lookup from someone else's phone, and the history shows it too.
    await page.getByRole('button', { name: 'English' }).click();
    expect(await page.getByLabel('Sender phone number').count()).toBe(1);
    await page.getByLabel('Sender phone number').fill('0971234111');
    await page.getByLabel('Message').fill('LOG 001085023456');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.locator('#history').textContent()).toContain('Total last 30 days: 2');
    expect(await page.locator('#history-meta').textContent()).toMatch(/^GSM-7, \d+ characters, 1 segment$/);

    const shot = join(dir, 'simulator.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    // Nothing from a CDN or anywhere else.
    expect(outside).toEqual([]);
    await page.close();
  });
});

describe('outside demo mode', () => {
  it('answers 404 for the page and everything it uses', async () => {
    const s = await startTestServer();
    try {
      for (const path of ['/', '/simulator/static/app.js', '/simulator/static/style.css', '/simulator/api/people']) {
        expect((await fetch(`${s.url}${path}`)).status, path).toBe(404);
      }
      const send = await s.post('/simulator/api/send', {
        body: '{"from":"0912345678","body":"TT 1"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(send.status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
