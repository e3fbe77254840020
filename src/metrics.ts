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
  };
}
