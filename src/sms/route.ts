/**
 * `POST /sms`, the Twilio webhook: form, signature, then the message service. Thin on purpose.
 */
import type { Express, Request, RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { formBody } from './form.js';
import type { MessageService } from './service.js';
import { verifyTwilioSignature, type SignatureOptions } from './signature.js';

/** What the webhook route needs. */
export interface SmsRouteDeps {
  service: MessageService;
  signature: SignatureOptions;
  logger: Logger;
  metrics: Metrics;
  /** Keyed hash of the sender, so log lines can be correlated without the number. */
  hash: (value: string) => string;
}

function field(req: Request, name: string): string | undefined {
  const value: unknown = (req.body as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name} must appear once`);
  return value;
}

/**
 * Adds `POST /sms` (and 405 for other methods) to the app. Registered on the app itself, not a
 * nested router: each Express layer costs CPU on every request of the hot path.
 */
export function addSmsRoutes(app: Express, deps: SmsRouteDeps): void {
  const { service, logger, metrics, hash } = deps;
  // Times every answer, 4xx from the form or signature checks included.
  const timed: RequestHandler = (_req, res, next) => {
    const end = metrics.webhookSeconds.startTimer();
    res.once('finish', () => end({ status: String(res.statusCode) }));
    next();
  };
  app.post('/sms', timed, formBody(), verifyTwilioSignature(deps.signature), async (req, res) => {
    const started = process.hrtime.bigint();
    const from = field(req, 'From')?.trim();
    if (!from) throw new HttpError(400, 'Missing From');
    const messageSid = field(req, 'MessageSid') ?? field(req, 'SmsMessageSid') ?? field(req, 'SmsSid');
    if (!messageSid) throw new HttpError(400, 'Missing MessageSid');
    const result = await service.handle({ messageSid, from, body: field(req, 'Body') ?? '' });
    res.status(200).type('text/xml').send(result.twiml);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!result.duplicate) {
      metrics.messages.inc({ command: result.command, outcome: result.outcome });
      if (result.segments > 0) metrics.replySegments.inc(result.segments);
      if (result.outcome === 'rate_limited' || result.outcome === 'locked') metrics.limitedSenders.inc({ kind: result.outcome });
    }
    logger.info(
      {
        reqId: randomUUID(),
        messageSid: messageSid.slice(0, 64),
        senderKey: hash(from),
        command: result.command,
        outcome: result.outcome,
        segments: result.segments,
        duplicate: result.duplicate,
        ms: Math.round(seconds * 1e4) / 10,
      },
      'sms',
    );
  });
  app.all('/sms', (_req, res) => {
    res.status(405).set('Allow', 'POST').type('text/plain').send('Method not allowed');
  });
}
