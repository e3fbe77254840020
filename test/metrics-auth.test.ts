// GET /metrics compares its bearer token in constant time: through timingSafeEqual over digests of
// one length, never with !== (which returns sooner the earlier the first wrong character is).
import * as crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof crypto>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const METRICS_TOKEN = 'metrics-token-for-the-test-0123456789';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer([], {}, { metricsToken: METRICS_TOKEN });
});
afterAll(async () => s.close());

describe('GET /metrics with METRICS_TOKEN', () => {
  it.each([
    { name: 'the token', authorization: `Bearer ${METRICS_TOKEN}`, status: 200 },
    { name: 'a short wrong token', authorization: 'Bearer x', status: 401 },
    { name: 'the token but its last character', authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}?`, status: 401 },
    { name: 'a very long header', authorization: `Bearer ${'x'.repeat(4000)}`, status: 401 },
  ])('$name: $status, compared in constant time', async ({ authorization, status }) => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    const res = await fetch(`${s.url}/metrics`, { headers: { authorization } });
    expect(res.status).toBe(status);
    expect(compare).toHaveBeenCalledTimes(1);
    const [given, expected] = compare.mock.calls[0] ?? [];
    expect([given?.byteLength, expected?.byteLength]).toEqual([32, 32]);
  });
});
