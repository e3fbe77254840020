/**
 * The service's settings, read once from the environment and checked by a zod schema.
 * A bad value stops start-up with a one-line reason naming the variable.
 */
import { z } from 'zod';
import type { SenderLimits } from './audit/senders.js';
import { CT_FIELDS, DEFAULT_CT_FIELDS, DEFAULT_TT_FIELDS, parseFieldList, TT_FIELDS } from './sms/replyFields.js';
import { ConfigError } from './errors.js';

export { ConfigError };

/** A local, non-secret token used only by demo mode (never in production). */
export const DEMO_AUTH_TOKEN = 'demo-local-auth-token-not-a-secret';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string())
  .optional()
  .transform((s) => (s ? s : undefined));

/**
 * A PostgreSQL connection URL. The messages never repeat the value: it may hold a password.
 * `new URL` accepts what libpq-style clients accept for the scheme, credentials, host, port and
 * database; query parameters (such as `sslmode`) pass through to the client.
 */
const databaseUrl = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a URL such as postgres://user:password@host:5432/database' });
    return;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    ctx.addIssue({ code: 'custom', message: 'must start with postgres:// or postgresql://' });
  } else if (!url.hostname && !url.searchParams.get('host')) {
    ctx.addIssue({ code: 'custom', message: 'names no host (postgres://user:password@host:5432/database)' });
  } else if (url.pathname.replace(/^\//, '') === '') {
    ctx.addIssue({ code: 'custom', message: 'names no database (postgres://user:password@host:5432/database)' });
  }
});

/** A list of reply fields out of `all` (the record's column names, comma-separated), in `all`'s order. */
const fieldList = <F extends string>(all: readonly F[], fallback: readonly F[]) =>
  z
    .string()
    .optional()
    .transform((text, ctx): readonly F[] => {
      if (text === undefined || text.trim() === '') return fallback;
      const parsed = parseFieldList(text, all);
      if (parsed.ok) return parsed.fields;
      ctx.addIssue({ code: 'custom', message: parsed.reason });
      return z.NEVER;
    });

/** The environment variables, each checked and given its default. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('data/citizens.db'),
  DATABASE_URL: optionalText.pipe(databaseUrl.optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_AUTH_TOKEN_PREVIOUS: optionalText,
  TWILIO_ACCOUNT_SID: optionalText.pipe(
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits, as in the Twilio console')
      .transform((s) => `AC${s.slice(2).toLowerCase()}`)
      .optional(),
  ),
  PUBLIC_BASE_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://sms.example.vn' })
      .superRefine((text, ctx) => {
        // The webhook is PUBLIC_BASE_URL + /sms: a path here would be signed twice over, and every request refused.
        const u = new URL(text);
        const extra = [u.pathname.replace(/\/+$/, '') && `the path ${u.pathname}`, u.search && 'a query', u.hash && 'a fragment'].filter(
          Boolean,
        );
        if (extra.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `must be the scheme and host only, such as ${u.origin} (the webhook is ${u.origin}/sms): drop ${extra.join(' and ')}`,
          });
        }
      })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  SMS_ENCODING: z.enum(['gsm7', 'unicode']).default('gsm7'),
  SMS_TT_FIELDS: fieldList(TT_FIELDS, DEFAULT_TT_FIELDS),
  SMS_CT_FIELDS: fieldList(CT_FIELDS, DEFAULT_CT_FIELDS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_HASH_KEY: optionalText,
  ALLOWED_COUNTRY_CODES: z
    .string()
    .default('84')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim().replace(/^\+/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^\d{1,3}$/, 'must be country calling codes such as 84,856')).min(1)),
  RATE_LIMIT_PER_HOUR: positiveInt(10),
  REPLY_LIMIT_PER_HOUR: positiveInt(20),
  REPLY_RETENTION_MINUTES: z.coerce.number().positive().max(1440, 'must be at most 1440 (one day)').default(10),
  LOCKOUT_FAILURES: positiveInt(5),
  LOCKOUT_HOURS: z.coerce.number().positive().default(24),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  METRICS_TOKEN: optionalText,
});

/**
 * The environment in the shape the service uses. `demo` is true when a local demo runs without
 * real Twilio credentials. `forTool`: command-line tools (seed, admin) need no Twilio credentials.
 */
const configSchema = (forTool: boolean) =>
  envSchema.transform((e, ctx) => {
    const production = e.NODE_ENV === 'production';
    const demo = !production && !e.TWILIO_AUTH_TOKEN;
    if (!demo && !forTool) {
      const missing = [!e.TWILIO_AUTH_TOKEN && 'TWILIO_AUTH_TOKEN', !e.PUBLIC_BASE_URL && 'PUBLIC_BASE_URL'].filter(Boolean);
      if (missing.length > 0) {
        ctx.addIssue({
          code: 'custom',
          input: e,
          path: [],
          message: `Missing setting ${missing.join(' and ')}: required outside demo mode (see .env.example)`,
        });
        return z.NEVER;
      }
    }
    return {
      env: e.NODE_ENV,
      demo,
      port: e.PORT,
      host: e.HOST,
      databasePath: e.DATABASE_PATH,
      /** A PostgreSQL URL (`DATABASE_URL`): selects the PostgreSQL store, and wins over `databasePath`. */
      databaseUrl: e.DATABASE_URL,
      /** Connections per process in the PostgreSQL pool. */
      databasePoolSize: e.DATABASE_POOL_SIZE,
      /** Accepted signing tokens: the current one first, then the previous one during a rotation. */
      authTokens: { current: e.TWILIO_AUTH_TOKEN ?? DEMO_AUTH_TOKEN, previous: e.TWILIO_AUTH_TOKEN_PREVIOUS },
      /** The Twilio account (`AC…`, lower case) whose requests alone are accepted, when configured. */
      accountSid: e.TWILIO_ACCOUNT_SID,
      /** Base URL Twilio calls, without a trailing slash; `undefined` only in demo mode until the port is known. */
      publicBaseUrl: e.PUBLIC_BASE_URL,
      smsEncoding: e.SMS_ENCODING,
      /** The fields each reply sends; a reply that leaves some out names them. */
      replyFields: { tt: e.SMS_TT_FIELDS, ct: e.SMS_CT_FIELDS },
      logLevel: e.LOG_LEVEL,
      logHashKey: e.LOG_HASH_KEY,
      allowedCountryCodes: e.ALLOWED_COUNTRY_CODES,
      rateLimitPerHour: e.RATE_LIMIT_PER_HOUR,
      /** Replies of any kind per number and rolling hour. */
      replyLimitPerHour: e.REPLY_LIMIT_PER_HOUR,
      /** How long reply bodies are kept for redeliveries of their MessageSid. */
      replyRetentionMs: e.REPLY_RETENTION_MINUTES * 60_000,
      lockoutFailures: e.LOCKOUT_FAILURES,
      lockoutMs: e.LOCKOUT_HOURS * 3_600_000,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      metricsToken: e.METRICS_TOKEN,
    };
  });

const SERVICE_CONFIG = configSchema(false);
const TOOL_CONFIG = configSchema(true);

/** The checked settings, as {@link loadConfig} returns them. */
export type Config = z.output<typeof SERVICE_CONFIG>;

/**
 * Parses the environment. Throws {@link ConfigError} with a one-line message when a value is wrong.
 * `forTool`: command-line tools (seed, admin) need no Twilio credentials.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { forTool = false } = {}): Config {
  const parsed = (forTool ? TOOL_CONFIG : SERVICE_CONFIG).safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // The one custom issue is about the environment as a whole (missing credentials), not one variable.
  if (issue?.code === 'custom' && issue.path.length === 0) throw new ConfigError(issue.message);
  const name = issue?.path.join('.') ?? 'environment';
  throw new ConfigError(`Invalid setting ${name}: ${issue?.message ?? 'bad value'}`);
}

/** The per-sender limits the settings give. */
export function senderLimits(config: Config): SenderLimits {
  return {
    lookupsPerHour: config.rateLimitPerHour,
    repliesPerHour: config.replyLimitPerHour,
    lockoutFailures: config.lockoutFailures,
    lockoutMs: config.lockoutMs,
  };
}
