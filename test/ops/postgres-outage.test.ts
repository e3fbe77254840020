// The database going away under two running nodes, and coming back: meanwhile `/sms`, `/healthz`
// and `/readyz` answer 503 on both (so that Twilio retries, and the proxy stops sending them
// traffic), the processes stay up, and service resumes by itself when the database is back,
// without a restart: Twilio's retries are then served and recorded once. On a PostgreSQL server
// of this file's own, so that stopping it disturbs no other test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/testing/embeddedPostgres.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/postgres.js';
import { stopServer, type ServerProcess } from '../../src/testing/processes.js';
import { get, person, post, seedFakePostgres, signedSms, startNode, tempDir } from './proc.js';

const tmp = tempDir('ops-outage-');
let server: EmbeddedServer;
let db: TestDatabase;
let nodes: ServerProcess[] = [];
beforeAll(async () => {
  server = await startEmbeddedPostgres();
  db = await createTestDatabase(server.url);
  await seedFakePostgres(db.url, 50);
  nodes = await Promise.all([startNode(db.url, tmp.dir), startNode(db.url, tmp.dir)]);
});
afterAll(async () => {
  for (const node of nodes) await stopServer(node);
  await server.destroy();
  tmp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the database stopped under two running nodes, then started again', () => {
  it('answers 503 on /sms, /healthz and /readyz while it is down, and serves again by itself once it is back', async () => {
    for (const [i, node] of nodes.entries()) {
      const p = person(i);
      const before = await post(node.url, '/sms', signedSms(p.phone, `TT ${p.id}`));
      expect(before).toMatchObject({ kind: 'complete', status: 200 });
    }

    await server.stop();
    // One message per node while the database is down.
    const during = nodes.map((node, i) => {
      const p = person(10 + i);
      return { node, p, request: signedSms(p.phone, `TT ${p.id}`) };
    });
    for (const { node, request } of during) {
      expect(await post(node.url, '/sms', request)).toMatchObject({ kind: 'complete', status: 503, body: 'Service unavailable' });
      expect((await get(node.url, '/healthz')).status).toBe(503);
      expect((await get(node.url, '/readyz')).status).toBe(503);
      expect(node.hasExited()).toBe(false);
    }

    await server.start();
    // No restart: each node's pool opens new connections when asked. Wait until it answers.
    for (const node of nodes) while ((await get(node.url, '/healthz')).status !== 200) await sleep(100);
    for (const { node, p, request } of during) {
      expect((await get(node.url, '/readyz')).status).toBe(200);
      // Twilio's retry of the message that was answered 503.
      const retried = await post(node.url, '/sms', request);
      expect(retried).toMatchObject({ kind: 'complete', status: 200 });
      expect(retried.kind === 'complete' && retried.body).toContain(p.name);
    }
    const rows = await db.sql<{ message_sid: string; outcome: string }>(
      `SELECT message_sid, outcome FROM audit_log WHERE message_sid = ANY($1) ORDER BY message_sid`,
      [during.map((d) => d.request.sid)],
    );
    expect(rows).toEqual(
      during.map((d) => ({ message_sid: d.request.sid, outcome: 'served' })).sort((a, b) => (a.message_sid < b.message_sid ? -1 : 1)),
    );

    // Each failure is logged in one line, without a stack trace or the database's password.
    const password = new URL(db.url).password;
    for (const node of nodes) {
      const errors = node.logs().filter((l) => l.level === 50);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(JSON.stringify(e)).not.toMatch(/"stack"|\\n\s+at /);
      expect(node.output()).not.toContain(password);
      expect(node.hasExited()).toBe(false);
    }
  });
});
