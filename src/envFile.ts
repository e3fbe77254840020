/**
 * Reads the settings file, `.env` in the current folder (or the file `ENV_FILE` names; none when
 * `ENV_FILE` is set but empty), into the environment before the settings are checked. A variable
 * already in the real environment wins over the file, even when it is empty: the file only fills
 * in what the environment does not set (the contract of Node's `process.loadEnvFile`, applied here
 * with `util.parseEnv` so that what was taken from where can be told). Values are never printed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, errorCode, errorMessage } from './errors.js';

/** What {@link loadEnvFile} did, for the start-up log: names only, never values. */
export interface EnvFileResult {
  /** The file read, or undefined when there was none. */
  file?: string;
  /** Variables taken from the file. */
  set: string[];
  /** Variables of the file that the real environment already sets, and which it kept. */
  kept: string[];
}

/** Fills `env` from the settings file. Throws {@link ConfigError} (one line) when it cannot be read. */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): EnvFileResult {
  const named = env.ENV_FILE;
  if (named === '') return { set: [], kept: [] };
  const file = resolve(cwd, named ?? '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (named === undefined && errorCode(err) === 'ENOENT') return { set: [], kept: [] };
    throw new ConfigError(`cannot read the settings file ${file}${named === undefined ? '' : ' (ENV_FILE)'}: ${errorMessage(err)}`);
  }
  const set: string[] = [];
  const kept: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    if (env[name] !== undefined) kept.push(name);
    else {
      env[name] = value;
      set.push(name);
    }
  }
  return { file, set, kept };
}
