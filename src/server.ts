/**
 * Starts the service: configuration, store, app, listening, and a graceful shutdown on SIGTERM or
 * SIGINT. Without credentials outside production it runs a demo on the sample records.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createApp } from './app.js';
import { isoToday } from './citizens/dates.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { loadEnvFile, type EnvFileResult } from './envFile.js';
import { errorMessage } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { SAMPLE_CSV } from './paths.js';
import { seedRows } from './seeding/seed.js';
import { readSeedFile } from './seeding/sources.js';
import { startRetention } from './retention.js';
import { startSealer } from './sealer.js';
import { openStore } from './store/open.js';
import { StoreOpenError, type Store } from './store/types.js';

async function seedDemo(store: Store, logger: Logger): Promise<void> {
  if ((await store.counts()).citizens > 0) return;
  const summary = await seedRows(store, readSeedFile(SAMPLE_CSV), { skipInvalid: true, today: isoToday(new Date()) });
  logger.info({ inserted: summary.inserted, rejected: summary.rejected }, 'demo: sample records seeded');
}

function printDemo(store: Store, url: string): void {
  const lines = [
    '',
    `Demo mode: fictional sample records in ${store.description}, local auth token (set TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL for real use).`,
    `Simulator in a browser: ${url}/   Webhook: POST ${url}/sms   Health: ${url}/healthz   Metrics: ${url}/metrics`,
    'Try, in another terminal:',
    '  npm run sms -- --from 0912345678 "TT 001085023456"',
    '  npm run sms -- --from 0912345678 "CC 001085023456"',
    '  npm run sms -- --from 0971234111 "TT 001085023456"   (someone else asking: refused)',
    `To start the demo over: stop the server, delete ${store.description.replace(/^SQLite /, '')} and its -wal and -shm files, and start again.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  let config: Config;
  let envFile: EnvFileResult;
  try {
    envFile = loadEnvFile();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // Names only, never values: which settings came from the file, and which the environment kept.
  if (envFile.file) logger.info({ file: envFile.file, set: envFile.set, kept: envFile.kept }, 'settings file read');
  let store: Store;
  try {
    store = await openStore(config, {
      quickCheck: true,
      backgroundCheckpoint: {
        onError: (message) => {
          logger.error({ err: { message } }, 'WAL checkpoint failed');
        },
      },
    });
  } catch (err) {
    if (err instanceof StoreOpenError) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const retention = startRetention({ store, clock: Date.now, logger, replyRetentionMs: config.replyRetentionMs });
  const sealer = startSealer({ store, clock: Date.now, logger });
  if (config.demo) await seedDemo(store, logger);

  let baseUrl = config.publicBaseUrl ?? '';
  const metrics = createMetrics(() => store.sizeBytes());
  const app = createApp({
    store,
    logger,
    metrics,
    clock: Date.now,
    policy: {
      encoding: config.smsEncoding,
      replyFields: config.replyFields,
      allowedCountryCodes: config.allowedCountryCodes,
      rateLimitPerHour: config.rateLimitPerHour,
      replyLimitPerHour: config.replyLimitPerHour,
      lockoutFailures: config.lockoutFailures,
      lockoutMs: config.lockoutMs,
    },
    tokens: config.authTokens,
    accountSid: config.accountSid,
    publicBaseUrl: () => baseUrl,
    logHashKey: config.logHashKey,
    metricsToken: config.metricsToken,
    demo: config.demo,
  });

  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch((err: unknown) => {
    console.error(`error: cannot listen on ${config.host}:${config.port}: ${errorMessage(err)}`);
    process.exit(1);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`not listening on a TCP port: ${String(address)}`);
  const { port } = address;
  if (!baseUrl) baseUrl = `http://localhost:${port}`;
  const webhookUrl = `${baseUrl}/sms`;
  logger.info({ port, demo: config.demo, encoding: config.smsEncoding, store: store.description, webhookUrl }, 'listening');
  // Twilio signs the exact URL it is given: this one, with HTTP POST, and nothing else passes the signature check.
  logger.info({ webhookUrl }, `Twilio console, "A message comes in": Webhook, HTTP POST, ${webhookUrl}`);
  if (config.demo) printDemo(store, `http://localhost:${port}`);

  // Requests being answered, so that a shutdown can tell their clients to close the connection.
  const answering = new Set<ServerResponse>();
  let stopping = false;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    answering.add(res);
    res.once('close', () => answering.delete(res));
  });

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    // Stop accepting. A connection that is idle closes now; one with a request in progress gets
    // its complete answer with `Connection: close` and closes after it, instead of waiting for
    // the keep-alive timeout and taking further requests.
    for (const res of answering) if (!res.headersSent) res.setHeader('Connection', 'close');
    const grace = setTimeout(() => {
      logger.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    grace.unref();
    server.close(() => {
      clearTimeout(grace);
      retention.stop();
      // No request is running any more: seal what was recorded, close the database, then let
      // pending log writes finish and the process end by itself (exit code 0); the timer is only
      // a safety net.
      void sealer
        .stop()
        .then(() => store.close())
        .then(() => {
          logger.info('stopped');
          process.exitCode = 0;
        })
        .catch((err: unknown) => {
          logger.error({ err: { message: errorMessage(err) } }, 'closing the database failed');
          process.exitCode = 1;
        })
        .finally(() => setTimeout(() => process.exit(), 2_000).unref());
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
}

await main();
