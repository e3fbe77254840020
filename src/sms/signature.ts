/**
 * Lets in only requests signed by Twilio. The signature covers the public URL Twilio was given
 * (`PUBLIC_BASE_URL` + path and query, never the Host header or protocol seen here, which a proxy
 * changes) and every POST parameter, whatever their names.
 */
import twilio from 'twilio';
import type { RequestHandler } from 'express';
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

/** Express middleware: 400 without a signature, 403 with a wrong one; passes valid requests on. */
export function verifyTwilioSignature(options: SignatureOptions): RequestHandler {
  const { tokens, publicBaseUrl, onPreviousToken, onFailure } = options;
  return (req, _res, next) => {
    const signature = req.header('x-twilio-signature');
    if (!signature) {
      onFailure?.('missing');
      return next(new HttpError(400, 'Missing X-Twilio-Signature'));
    }
    const url = publicBaseUrl() + req.originalUrl;
    const params = (req.body ?? {}) as Record<string, unknown>;
    if (twilio.validateRequest(tokens.current, signature, url, params)) return next();
    if (tokens.previous && twilio.validateRequest(tokens.previous, signature, url, params)) {
      onPreviousToken?.();
      return next();
    }
    onFailure?.('invalid');
    return next(new HttpError(403, 'Forbidden'));
  };
}
