import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { isTwilioSignature } from './signature.js';

const TOKEN = 'test-token-for-signatures';
const URL = 'https://sms.example.vn/sms';
const PARAMS = { From: '+84912345678', Body: 'TT 001099054321', MessageSid: 'SM1' };
const sign = (url: string, params: Record<string, string> = PARAMS, token = TOKEN) => twilio.getExpectedTwilioSignature(token, url, params);

describe('isTwilioSignature', () => {
  it.each([
    ['signed over exactly the configured URL (one HMAC)', sign(URL)],
    ['signed over the URL with its default port (twilio fallback)', sign('https://sms.example.vn:443/sms')],
  ])('accepts a signature %s', (_name, signature) => {
    expect(isTwilioSignature(TOKEN, signature, URL, PARAMS)).toBe(true);
  });

  it.each([
    ['made with another token', sign(URL, PARAMS, 'another-token')],
    ['over other parameters', sign(URL, { ...PARAMS, Body: 'TT 079190000111' })],
    ['over another path', sign('https://sms.example.vn/other')],
    ['of another length', `${sign(URL)}=`],
    ['empty', ''],
  ])('refuses a signature %s', (_name, signature) => {
    expect(isTwilioSignature(TOKEN, signature, URL, PARAMS)).toBe(false);
  });

  it('agrees with twilio.validateRequest on both', () => {
    for (const signature of [sign(URL), sign(URL, PARAMS, 'x')]) {
      expect(isTwilioSignature(TOKEN, signature, URL, PARAMS)).toBe(twilio.validateRequest(TOKEN, signature, URL, PARAMS));
    }
  });
});
