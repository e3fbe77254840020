/**
 * `POST /sms`, the Twilio webhook: form, signature, Twilio's parameter rules, then the message
 * service, in one linear handler. Thin on purpose.
 */
import type { Express, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { readForm, type Form } from './form.js';
import type { MessageService } from './service.js';
import { checkTwilioSignature, type SignatureOptions } from './signature.js';
import { checkTwilioParams } from './twilioParams.js';

/** What the webhook route needs. */
export interface SmsRouteDeps {
  service: MessageService;
  signature: SignatureOptions;
  logger: Logger;
  metrics: Metrics;
  /** Keyed hash of the sender, so log lines can be correlated without the number. */
  hash: (value: string) => string;
  /** The Twilio account whose requests alone are accepted, when configured. */
  accountSid?: string;
}

function field(form: Form, name: string): string | undefined {
  const value = form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name} must appear once`);
  return value;
}

/**
 * Adds `POST /sms` (and 405 for other methods) to the app. One handler, in the order of the
 * checks: each Express layer or nested router costs CPU and memory on every request.
 */
export function addSmsRoutes(app: Express, deps: SmsRouteDeps): void {
  const { service, logger, metrics, hash } = deps;
  /** One line for each refused request: the status and why, never the signature or a parameter's value. */
  const refused = (status: number, reason: string, detail?: string) => {
    logger.warn({ status, reason, ...(detail === undefined ? {} : { detail }) }, 'webhook request refused');
  };
  app.post('/sms', async (req, res) => {
    try {
      await answerSms(req, res);
    } catch (err) {
      if (err instanceof HttpError && err.status < 500) refused(err.status, err.publicMessage, err.detail);
      throw err;
    }
  });
  app.all('/sms', (req, res) => {
    refused(405, `${req.method} is not allowed: Twilio posts`);
    res.status(405).set('Allow', 'POST').type('text/plain').send('Method not allowed');
  });

  async function answerSms(req: Request, res: Response): Promise<void> {
    const started = process.hrtime.bigint();
    // Times every answer, 4xx from the form or signature checks included.
    res.once('finish', () => {
      metrics.webhookSeconds.observe({ status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const form = await readForm(req, res);
    checkTwilioSignature(deps.signature, req, form);
    // After the signature (an unsigned request learns nothing from these), before anything is
    // recorded: signed bytes re-split into other parameters must not pass as a new message.
    const params = checkTwilioParams(form, { accountSid: deps.accountSid });
    if (!params.ok) throw new HttpError(params.status, params.reason, 'signed, but the parameters are not as Twilio sends them');
    const { messageSid } = params;
    const from = field(form, 'From')?.trim();
    if (!from) throw new HttpError(400, 'Missing From');
    const result = await service.handle({ messageSid, from, body: field(form, 'Body') ?? '' });
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
        messageSid,
        senderKey: hash(from),
        command: result.command,
        outcome: result.outcome,
        segments: result.segments,
        duplicate: result.duplicate,
        // A redelivery names what went out again: the earlier reply (its command, outcome and segments above), or nothing.
        ...(result.duplicate ? { resent: result.segments > 0 ? 'earlier reply' : 'empty response' } : {}),
        ms: Math.round(seconds * 1e4) / 10,
      },
      'sms',
    );
  }
}
