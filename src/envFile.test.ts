import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadEnvFile } from './envFile.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'env-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the settings file', () => {
  it('fills in what the real environment does not set, and the real environment wins, even when empty', () => {
    writeFileSync(join(dir, '.env'), '# comment\nPORT=4000\nLOG_LEVEL="debug"\nSMS_ENCODING=unicode\n');
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', SMS_ENCODING: '' };
    const result = loadEnvFile(env, dir);
    expect(env).toEqual({ PORT: '4000', LOG_LEVEL: 'warn', SMS_ENCODING: '' });
    expect(result).toEqual({ file: join(dir, '.env'), set: ['PORT'], kept: ['LOG_LEVEL', 'SMS_ENCODING'] });
  });

  it('is optional: no .env changes nothing', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadEnvFile(env, dir)).toEqual({ set: [], kept: [] });
    expect(env).toEqual({});
  });

  it('reads the file ENV_FILE names, refuses one that is missing, and reads none when ENV_FILE is empty', () => {
    writeFileSync(join(dir, 'prod.env'), 'PORT=5000\n');
    writeFileSync(join(dir, '.env'), 'PORT=4000\n');
    const named: NodeJS.ProcessEnv = { ENV_FILE: 'prod.env' };
    loadEnvFile(named, dir);
    expect(named.PORT).toBe('5000');
    const none: NodeJS.ProcessEnv = { ENV_FILE: '' };
    loadEnvFile(none, dir);
    expect(none.PORT).toBeUndefined();
    expect(() => loadEnvFile({ ENV_FILE: 'nope.env' }, dir)).toThrow(ConfigError);
    expect(() => loadEnvFile({ ENV_FILE: 'nope.env' }, dir)).toThrow(/^cannot read the settings file .*nope\.env \(ENV_FILE\): ENOENT/);
  });
});
