/**
 * `createApp(deps)` builds the Express app without listening: the webhook, health, readiness and
 * metrics endpoints, and the central error handler.
 */
import express, { type Express } from 'express';
import { bearerCheck } from './bearer.js';
import { errorHandler, errorMessage } from './errors.js';
import { createHasher, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createReceiptService } from './sms/receipts.js';
import { createMessageService, senderLimits, type ServicePolicy } from './sms/service.js';
import { addSmsRoutes } from './sms/route.js';
import type { SignatureOptions } from './sms/signature.js';
import { addStatusRoutes, statusCallbackUrl } from './sms/statusRoute.js';
import { addSimulatorRoutes } from './simulator/routes.js';
import type { Store } from './store/types.js';

/** Everything the app is built from; tests pass their own clock, store and logger. */
export interface AppDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: () => number;
  policy: ServicePolicy;
  tokens: { current: string; previous?: string };
  /** When set, only requests whose `AccountSid` equals it are accepted (403 otherwise). */
  accountSid?: string;
  /** The public base URL Twilio calls (read per request). */
  publicBaseUrl: () => string;
  /** Key of the hashes that stand for senders in logs. */
  logHashKey?: string;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Demo mode: `GET /` serves the browser simulator (404 otherwise). */
  demo?: boolean;
}

/** Builds the app. */
export function createApp(deps: AppDeps): Express {
  const { store, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const signature: SignatureOptions = {
    tokens: deps.tokens,
    publicBaseUrl: deps.publicBaseUrl,
    onPreviousToken: () => {
      metrics.previousTokenUses.inc();
      logger.warn('request accepted with TWILIO_AUTH_TOKEN_PREVIOUS: Twilio still signs with the old token');
    },
    onFailure: (reason) => {
      metrics.signatureFailures.inc({ reason });
    },
  };
  addSmsRoutes(app, {
    service: createMessageService(store, deps.clock, deps.policy, (ref) => statusCallbackUrl(deps.publicBaseUrl(), ref)),
    logger,
    metrics,
    hash: createHasher(deps.logHashKey),
    accountSid: deps.accountSid,
    signature,
  });
  addStatusRoutes(app, {
    receipts: createReceiptService(store, deps.clock, senderLimits(deps.policy)),
    logger,
    metrics,
    accountSid: deps.accountSid,
    signature,
  });

  app.get('/healthz', async (_req, res) => {
    try {
      await store.ping();
      res.type('text/plain').send('ok');
    } catch (err) {
      logger.error({ err: { message: errorMessage(err) } }, 'database does not answer');
      res.status(503).type('text/plain').send('database unavailable');
    }
  });

  app.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      if (!(await store.migrationsCurrent())) throw new Error('migrations not current');
      if (!(await store.acceptsWrites())) throw new Error('the database is read-only');
      res.type('text/plain').send('ready');
    } catch (err) {
      logger.error({ err: { message: errorMessage(err) } }, 'not ready');
      res.status(503).type('text/plain').send('not ready');
    }
  });

  const metricsAuthorized = deps.metricsToken ? bearerCheck(deps.metricsToken) : () => true;
  app.get('/metrics', async (req, res) => {
    if (!metricsAuthorized(req.header('authorization'))) {
      res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('Unauthorized');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (deps.demo) {
    addSimulatorRoutes(app, {
      store,
      clock: deps.clock,
      token: deps.tokens.current,
      publicBaseUrl: deps.publicBaseUrl,
      encoding: deps.policy.encoding,
      accountSid: deps.accountSid,
    });
  }

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  app.use(errorHandler(logger));
  return app;
}
