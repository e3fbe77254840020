/**
 * The error types of the service and the central Express error handler. Responses carry a
 * short fixed text, never a stack trace or internal detail.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from './logger.js';

/**
 * An error with the HTTP status it should answer and a short public message. `detail` is for the
 * operator's log only (never in the response), and never holds a secret or personal data.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly detail?: string,
  ) {
    super(publicMessage);
  }
}

const PUBLIC_TEXT: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  503: 'Service unavailable',
};

/** Raised for a bad environment or settings file; its message is one line meant for the operator. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A property of a thrown value, which may be anything: `undefined` when it has none. */
function thrownProperty(err: unknown, name: string): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  const value: unknown = Reflect.get(err, name);
  return value;
}

/** The message of a thrown value: an Error's message, a plain object's `message`, or the value as text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = thrownProperty(err, 'message');
  return typeof message === 'string' ? message : String(err);
}

/** The `code` of a thrown value (Node's `ENOENT`, `ERR_PARSE_ARGS_...`), when it has one. */
export function errorCode(err: unknown): unknown {
  return thrownProperty(err, 'code');
}

/**
 * Maps errors to responses: HttpError and body-parser errors keep their 4xx status; anything
 * else is a store or program failure and answers 503 (Twilio retries or uses its fallback URL).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const statusOf = (name: string) => {
      const value = thrownProperty(err, name);
      return typeof value === 'number' ? value : undefined;
    };
    let status = err instanceof HttpError ? err.status : (statusOf('status') ?? statusOf('statusCode') ?? 503);
    if (status < 400 || status > 599) status = 503;
    if (status >= 500) {
      status = 503;
      logger.error(
        { err: { type: thrownProperty(err, 'name'), code: errorCode(err), message: thrownProperty(err, 'message') } },
        'request failed',
      );
    }
    const text = err instanceof HttpError ? err.publicMessage : (PUBLIC_TEXT[status] ?? 'Bad request');
    if (res.headersSent) return;
    res.status(status).type('text/plain').send(text);
  };
}
