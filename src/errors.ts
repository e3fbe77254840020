/**
 * The one error type of the service and the central Express error handler. Responses carry a
 * short fixed text, never a stack trace or internal detail.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from './logger.js';

/** An error with the HTTP status it should answer and a short public message. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly publicMessage: string,
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

/**
 * Maps errors to responses: HttpError and body-parser errors keep their 4xx status; anything
 * else is a store or program failure and answers 503 (Twilio retries or uses its fallback URL).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string; code?: string };
    let status = e instanceof HttpError ? e.status : (e.status ?? e.statusCode ?? 503);
    if (status < 400 || status > 599) status = 503;
    if (status >= 500) {
      status = 503;
      logger.error({ err: { type: (err as Error)?.name, code: e.code, message: e.message } }, 'request failed');
    }
    const text = err instanceof HttpError ? err.publicMessage : (PUBLIC_TEXT[status] ?? 'Bad request');
    if (res.headersSent) return;
    res.status(status).type('text/plain').send(text);
  };
}
