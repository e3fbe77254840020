import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_AUTH_TOKEN, loadConfig } from './config.js';

const prod = { NODE_ENV: 'production', TWILIO_AUTH_TOKEN: 'tok', PUBLIC_BASE_URL: 'https://sms.example.vn/' };

describe('loadConfig', () => {
  it('runs a demo with defaults when nothing is set outside production', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ demo: true, port: 3000, databasePath: 'data/citizens.db', smsEncoding: 'gsm7' });
    expect(c.authTokens.current).toBe(DEMO_AUTH_TOKEN);
    expect(c.allowedCountryCodes).toEqual(['84']);
    expect(c).toMatchObject({ rateLimitPerHour: 10, lockoutFailures: 5, lockoutMs: 24 * 3_600_000 });
  });

  it('accepts a complete production environment and trims the base URL', () => {
    const c = loadConfig(prod);
    expect(c.demo).toBe(false);
    expect(c.publicBaseUrl).toBe('https://sms.example.vn');
    expect(c.authTokens).toEqual({ current: 'tok', previous: undefined });
  });

  it('reads TWILIO_ACCOUNT_SID in lower case, and leaves it unset by default', () => {
    expect(loadConfig(prod).accountSid).toBeUndefined();
    expect(loadConfig({ ...prod, TWILIO_ACCOUNT_SID: ` AC${'0123456789ABCDEF'.repeat(2)} ` }).accountSid).toBe(
      `AC${'0123456789abcdef'.repeat(2)}`,
    );
  });

  it('sends every TT field but ethnicity and religion by default, and reads SMS_TT_FIELDS and SMS_CT_FIELDS in line order', () => {
    expect(loadConfig({}).replyFields).toEqual({
      tt: ['full_name', 'id_number', 'date_of_birth', 'sex', 'birth_registration_place', 'hometown', 'nationality'],
      ct: ['permanent_address', 'temporary_address', 'current_address'],
    });
    const c = loadConfig({ SMS_TT_FIELDS: ' Religion, full_name,id_number ', SMS_CT_FIELDS: 'current_address' });
    expect(c.replyFields).toEqual({ tt: ['full_name', 'id_number', 'religion'], ct: ['current_address'] });
  });

  it('parses a list of allowed country codes', () => {
    expect(loadConfig({ ALLOWED_COUNTRY_CODES: '+84, 856' }).allowedCountryCodes).toEqual(['84', '856']);
  });

  it('selects PostgreSQL with DATABASE_URL, which wins over DATABASE_PATH, and sizes its pool', () => {
    expect(loadConfig({})).toMatchObject({ databaseUrl: undefined, databasePoolSize: 10 });
    const url = 'postgresql://sms:s3cret@db.example.vn:5433/citizens?sslmode=require';
    expect(loadConfig({ DATABASE_URL: ` ${url} `, DATABASE_PATH: 'x.db', DATABASE_POOL_SIZE: '25' })).toMatchObject({
      databaseUrl: url,
      databasePath: 'x.db',
      databasePoolSize: 25,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/db' }).databaseUrl).toBe('postgres://localhost/db');
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it.each([
    ['not a URL', 'sms:s3cret@db.example.vn/citizens'],
    ['another scheme', 'mysql://sms:s3cret@db.example.vn/citizens'],
    ['no database', 'postgres://sms:s3cret@db.example.vn:5432/'],
    ['no host', 'postgres://sms:s3cret@:5432/citizens'],
  ])('refuses a DATABASE_URL with %s in one line that names it and not its password', (_name, url) => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: url });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid setting DATABASE_URL: [^\n]+$/);
    expect(message).not.toContain('s3cret');
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a pool of no connections', { DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE/],
    ['production without credentials', { NODE_ENV: 'production' }, /TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL/],
    ['a token without a base URL', { TWILIO_AUTH_TOKEN: 'tok' }, /PUBLIC_BASE_URL/],
    ['a port that is not a number', { PORT: 'abc' }, /PORT/],
    ['a base URL that is not http(s)', { ...prod, PUBLIC_BASE_URL: 'ftp://x.vn' }, /PUBLIC_BASE_URL/],
    [
      'a base URL with a path',
      { ...prod, PUBLIC_BASE_URL: 'https://sms.example.vn/sms' },
      /^Invalid setting PUBLIC_BASE_URL: must be the scheme and host only, such as https:\/\/sms\.example\.vn \(the webhook is https:\/\/sms\.example\.vn\/sms\): drop the path \/sms$/,
    ],
    ['a base URL with a query', { ...prod, PUBLIC_BASE_URL: 'https://sms.example.vn/?a=1' }, /drop a query$/],
    ['a base URL with a fragment', { ...prod, PUBLIC_BASE_URL: 'https://sms.example.vn#x' }, /drop a fragment$/],
    ['an unknown encoding', { SMS_ENCODING: 'utf8' }, /SMS_ENCODING/],
    ['an unknown TT field', { SMS_TT_FIELDS: 'full_name,blood_type' }, /SMS_TT_FIELDS: unknown field "blood_type"/],
    ['a TT field twice', { SMS_TT_FIELDS: 'sex,sex' }, /SMS_TT_FIELDS: "sex" is listed twice/],
    ['an address in TT', { SMS_TT_FIELDS: 'current_address' }, /SMS_TT_FIELDS: unknown field/],
    ['no CT field', { SMS_CT_FIELDS: ' , ' }, /SMS_CT_FIELDS: must name at least one/],
    ['a bad country code', { ALLOWED_COUNTRY_CODES: '84,abc' }, /ALLOWED_COUNTRY_CODES/],
    ['a zero rate limit', { RATE_LIMIT_PER_HOUR: '0' }, /RATE_LIMIT_PER_HOUR/],
    ['an account SID cut short', { ...prod, TWILIO_ACCOUNT_SID: 'AC0123' }, /TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits/],
    ['a messaging service SID as the account', { ...prod, TWILIO_ACCOUNT_SID: `MG${'0'.repeat(32)}` }, /TWILIO_ACCOUNT_SID/],
  ];
  it.each(bad)('refuses %s with a one-line reason', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(/^[^\n]*$/);
  });
});
