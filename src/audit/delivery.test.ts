import { describe, expect, it } from 'vitest';
import { errorCodeLabel, isDeliveryErrorCode, isDeliveryStatus, latestDelivery, neverDelivered, statusLabel } from './delivery.js';

describe('latestDelivery: the status shown among callbacks in arrival order', () => {
  it.each<[string, string[], string | undefined]>([
    ['none: nothing shown', [], undefined],
    ['in order: the last', ['queued', 'sending', 'sent', 'delivered'], 'delivered'],
    ['a late "sent" does not hide "delivered"', ['delivered', 'sent'], 'delivered'],
    ['a late "queued" does not hide "failed"', ['sent', 'failed', 'queued'], 'failed'],
    ['equal rank: the later arrival (a carrier that retried)', ['undelivered', 'delivered'], 'delivered'],
    ['equal rank the other way', ['delivered', 'undelivered'], 'undelivered'],
    ['read outranks delivered', ['read', 'delivered'], 'read'],
    ['an unknown status ranks lowest', ['sent', 'mystery'], 'sent'],
    ['an unknown status alone is shown', ['mystery'], 'mystery'],
  ])('%s', (_, statuses, shown) => {
    expect(latestDelivery(statuses.map((status) => ({ status })))?.status).toBe(shown);
  });
});

describe('neverDelivered', () => {
  it.each<[string | undefined, boolean]>([
    ['undelivered', true],
    ['failed', true],
    ['canceled', true],
    ['delivered', false],
    ['sent', false],
    ['read', false],
    [undefined, false],
  ])('%s → %s', (status, never) => {
    expect(neverDelivered(status)).toBe(never);
  });
});

describe('shapes and bounded labels', () => {
  it.each<[string, boolean]>([
    ['delivered', true],
    ['partially_delivered', true],
    ['Delivered', false],
    ['', false],
    ['sent,delivered', false],
    ['x'.repeat(33), false],
  ])('status %j may be recorded: %s', (value, ok) => {
    expect(isDeliveryStatus(value)).toBe(ok);
  });
  it.each<[string, boolean]>([
    ['30003', true],
    ['0', true],
    ['', false],
    ['3000a', false],
    ['12345678901', false],
  ])('error code %j may be recorded: %s', (value, ok) => {
    expect(isDeliveryErrorCode(value)).toBe(ok);
  });
  it('labels unknown statuses and codes as other', () => {
    expect([statusLabel('delivered'), statusLabel('mystery'), errorCodeLabel('30003'), errorCodeLabel('99999')]).toEqual([
      'delivered',
      'other',
      '30003',
      'other',
    ]);
  });
});
