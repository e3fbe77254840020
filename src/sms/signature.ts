/**
 * Lets in only requests signed by Twilio. The signature covers the public URL Twilio was given
 * (`PUBLIC_BASE_URL` + path and query, never the Host header or protocol seen here, which a proxy
 * changes) and every POST parameter, whatever their names.
 */
import { timingSafeEqual } from 'node:crypto';
// Twilio's webhook helpers alone: the package's index loads the whole REST client (~0.4 s at start).
import twilio from 'twilio/lib/webhooks/webhooks.js';
import type { Request } from 'express';
import { HttpError } from '../errors.js';

/** What the signature check needs. */
export interface SignatureOptions {
  /** The current auth token and, during a rotation, the previous one. */
  tokens: { current: string; previous?: string };
  /** The base URL Twilio calls, without a trailing slash. Read per request (demo mode sets it late). */
  publicBaseUrl: () => string;
  /** Called when a request was accepted with the previous token. */
  onPreviousToken?: () => void;
  /** Called when a request is refused. */
  onFailure?: (reason: 'missing' | 'invalid') => void;
}

/**
 * Whether `signature` is Twilio's signature of `url` and `params` under `token`. The common case,
 * a signature over exactly the configured URL, costs one HMAC and no URL parsing; only a mismatch
 * goes on to `twilio.validateRequest`, which parses the URL and tries it with and without its port
 * and normalised (up to six HMACs).
 */
export function isTwilioSignature(token: string, signature: string, url: string, params: Record<string, unknown>): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(token, url, params));
  const given = Buffer.from(signature);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  return twilio.validateRequest(token, signature, url, params);
}

/**
 * Checks the request's `X-Twilio-Signature` over the public URL and the parsed form: throws
 * {@link HttpError} 400 without a signature and 403 with a wrong one.
 */
export function checkTwilioSignature(options: SignatureOptions, req: Request, params: Record<string, unknown>): void {
  const { tokens, publicBaseUrl, onPreviousToken, onFailure } = options;
  const signature = req.header('x-twilio-signature');
  if (!signature) {
    onFailure?.('missing');
    throw new HttpError(400, 'Missing X-Twilio-Signature');
  }
  const url = publicBaseUrl() + req.originalUrl;
  if (isTwilioSignature(tokens.current, signature, url, params)) return;
  if (tokens.previous && isTwilioSignature(tokens.previous, signature, url, params)) {
    onPreviousToken?.();
    return;
  }
  onFailure?.('invalid');
  // The query is left out of the log: whoever calls may put anything in it.
  const checked = publicBaseUrl() + req.path + (req.originalUrl.includes('?') ? ' (and its query)' : '');
  throw new HttpError(
    403,
    'Forbidden: X-Twilio-Signature does not match',
    `not signed for ${checked} with TWILIO_AUTH_TOKEN: the URL in the Twilio console must be exactly this one`,
  );
}
