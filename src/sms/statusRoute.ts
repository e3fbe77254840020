/**
 * `POST /sms/status`, where Twilio reports each reply's delivery (the `action` of its
 * `<Message>`): form, the same signature check as `/sms` over the full URL with its `?ref=`, the
 * webhook's parameter rules and the callback's own, then the event is appended. Answers an empty
 * 204 once the event is recorded (or found to belong to no audit row).
 */
import type { Express } from 'express';
import { errorCodeLabel, statusLabel } from '../audit/delivery.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { readForm } from './form.js';
import type { ReceiptService } from './receipts.js';
import { checkTwilioSignature, type SignatureOptions } from './signature.js';
import { checkStatusCallback } from './statusParams.js';

/** The path of the status callback; the `action` of every reply is `PUBLIC_BASE_URL` + this + `?ref=<inbound MessageSid>`. */
export const STATUS_PATH = '/sms/status';

/** The status callback URL for the reply to inbound message `ref`. */
export function statusCallbackUrl(publicBaseUrl: string, ref: string): string {
  return `${publicBaseUrl}${STATUS_PATH}?ref=${encodeURIComponent(ref)}`;
}

/** What the status route needs. */
export interface StatusRouteDeps {
  receipts: ReceiptService;
  signature: SignatureOptions;
  logger: Logger;
  metrics: Metrics;
  /** The Twilio account whose requests alone are accepted, when configured. */
  accountSid?: string;
}

/** Adds `POST /sms/status` (and 405 for other methods) to the app. */
export function addStatusRoutes(app: Express, deps: StatusRouteDeps): void {
  const { receipts, logger, metrics } = deps;
  app.post(STATUS_PATH, async (req, res) => {
    const form = await readForm(req, res);
    checkTwilioSignature(deps.signature, req, form);
    const q = req.originalUrl.indexOf('?');
    const checked = checkStatusCallback(q < 0 ? '' : req.originalUrl.slice(q + 1), form, { accountSid: deps.accountSid });
    if (!checked.ok) {
      logger.warn(
        { reason: checked.reason, status: checked.status },
        'signed status callback refused: parameters not as Twilio sends them',
      );
      throw new HttpError(checked.status, checked.reason);
    }
    const { event } = checked;
    const result = await receipts.record(event);
    res.status(204).end();
    if (result.recorded) {
      metrics.deliveryStatuses.inc({ status: statusLabel(event.status) });
      if (event.errorCode !== null) metrics.deliveryErrors.inc({ code: errorCodeLabel(event.errorCode) });
      if (result.optedOut) metrics.carrierOptOuts.inc();
    } else {
      metrics.deliveryUnmatched.inc();
    }
    logger.info(
      {
        ref: event.ref,
        messageSid: event.messageSid,
        status: event.status,
        errorCode: event.errorCode,
        recorded: result.recorded,
        optedOut: result.recorded && result.optedOut,
      },
      'sms status',
    );
  });
  app.all(STATUS_PATH, (_req, res) => {
    res.status(405).set('Allow', 'POST').type('text/plain').send('Method not allowed');
  });
}
