/**
 * Prometheus metrics (prom-client), on a registry of their own so that tests can build many apps.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's metrics. */
export interface Metrics {
  registry: Registry;
  messages: Counter<'command' | 'outcome'>;
  replySegments: Counter;
  webhookSeconds: Histogram<'status'>;
  signatureFailures: Counter<'reason'>;
  limitedSenders: Counter<'kind'>;
  previousTokenUses: Counter;
  /** Delivery events recorded, by status (Twilio's, or `other` for one not in `delivery.ts`). */
  deliveryStatuses: Counter<'status'>;
  /** Delivery events recorded with an error code, by code (`other` for one not in `delivery.ts`). */
  deliveryErrors: Counter<'code'>;
  /** Signed status callbacks whose audit row no longer exists: recorded nowhere. */
  deliveryUnmatched: Counter;
  /** Senders opted out by error 21610 (unsubscribed at the carrier). */
  carrierOptOuts: Counter;
}

/** Creates the metrics. `databaseSize` is read at each scrape. */
export function createMetrics(databaseSize: () => Promise<number>, { defaults = true } = {}): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'sms_database_size_bytes',
    help: 'Size of the SQLite database and its WAL on disk',
    registers,
    async collect() {
      this.set(await databaseSize());
    },
  });
  return {
    registry,
    messages: new Counter({
      name: 'sms_messages_total',
      help: 'Inbound messages by command and outcome',
      labelNames: ['command', 'outcome'],
      registers,
    }),
    replySegments: new Counter({ name: 'sms_reply_segments_total', help: 'SMS segments of the replies sent', registers }),
    webhookSeconds: new Histogram({
      name: 'sms_webhook_duration_seconds',
      help: 'Time to answer POST /sms',
      labelNames: ['status'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    signatureFailures: new Counter({
      name: 'sms_signature_failures_total',
      help: 'Requests refused by the Twilio signature check',
      labelNames: ['reason'],
      registers,
    }),
    limitedSenders: new Counter({
      name: 'sms_limited_total',
      help: 'Lookups refused by the hourly limit or a lockout',
      labelNames: ['kind'],
      registers,
    }),
    previousTokenUses: new Counter({
      name: 'sms_previous_token_accepted_total',
      help: 'Requests accepted with TWILIO_AUTH_TOKEN_PREVIOUS',
      registers,
    }),
    deliveryStatuses: new Counter({
      name: 'sms_delivery_status_total',
      help: 'Delivery events (status callbacks) recorded, by status',
      labelNames: ['status'],
      registers,
    }),
    deliveryErrors: new Counter({
      name: 'sms_delivery_errors_total',
      help: 'Delivery events recorded with a Twilio error code, by code',
      labelNames: ['code'],
      registers,
    }),
    deliveryUnmatched: new Counter({
      name: 'sms_delivery_unmatched_total',
      help: 'Signed status callbacks for an audit row that no longer exists (not recorded)',
      registers,
    }),
    carrierOptOuts: new Counter({
      name: 'sms_carrier_opt_outs_total',
      help: 'Senders opted out by Twilio error 21610 (unsubscribed at the carrier)',
      registers,
    }),
  };
}
