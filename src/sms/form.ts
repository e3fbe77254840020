/**
 * Parses Twilio's `application/x-www-form-urlencoded` body: 64 KiB at most, well-formed percent
 * encoding and UTF-8 only. Anything else is answered 4xx before the signature is checked.
 */
import express, { type RequestHandler } from 'express';
import { isUtf8 } from 'node:buffer';
import { HttpError } from '../errors.js';

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

function checkEncoding(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new HttpError(400, 'Malformed encoding');
  const text = buf.toString('utf8');
  if (text.includes('%')) {
    if (BAD_ESCAPE.test(text)) throw new HttpError(400, 'Malformed encoding');
    try {
      decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw new HttpError(400, 'Malformed encoding');
    }
  }
}

/** Refuses any content type but a form, then parses the form. */
export function formBody(): RequestHandler[] {
  const requireForm: RequestHandler = (req, _res, next) => {
    if (!req.is('application/x-www-form-urlencoded')) next(new HttpError(415, 'Expected application/x-www-form-urlencoded'));
    else next();
  };
  return [requireForm, express.urlencoded({ extended: false, limit: '64kb', verify: checkEncoding })];
}
