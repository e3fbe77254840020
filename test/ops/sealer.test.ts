// The server's sealer, in the real server process: rows recorded by signed webhooks are sealed
// shortly after they commit (polled, never timed), and a graceful shutdown seals what is left.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitWithin, person, post, runTool, seedFake, serverEnv, signedSms, startServer, tempDir } from './proc.js';

const tmp = tempDir('ops-sealer-');
const db = join(tmp.dir, 'citizens.db');

beforeAll(async () => {
  await seedFake(db, 20);
});
afterAll(() => {
  tmp.cleanup();
});

const verify = () => runTool('admin', ['verify-audit'], { DATABASE_PATH: db });

describe('the sealer in the server', () => {
  it('seals each recorded message soon after its reply, and the rest on shutdown', async () => {
    const server = await startServer(serverEnv(db));
    try {
      for (let i = 0; i < 3; i++) {
        const p = person(i);
        expect(await post(server.url, '/sms', signedSms(p.phone, `TT ${p.id}`))).toMatchObject({ kind: 'complete', status: 200 });
      }
      let out = '';
      for (let attempt = 0; attempt < 40 && !/3 records sealed \(3 audit rows present\)\n/.test(out); attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        out = (await verify()).stdout;
      }
      expect(out).toMatch(/^audit log intact: 3 records sealed \(3 audit rows present\)\n/);
      const p = person(5);
      expect(await post(server.url, '/sms', signedSms(p.phone, `CC ${p.id}`))).toMatchObject({ kind: 'complete', status: 200 });
    } finally {
      server.proc.kill('SIGTERM');
      expect(await exitWithin(server.exited, 15_000)).toMatchObject({ code: 0 });
    }
    const after = await verify();
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^audit log intact: 4 records sealed \(4 audit rows present\)\n/);
  });
});
