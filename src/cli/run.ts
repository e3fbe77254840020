/**
 * Shared entry point of the command-line tools: reads the settings file, runs `main`, maps errors
 * to exit codes and prints one line, never a stack trace, for the errors a user can fix.
 *
 * It imports nothing heavy (no zod, no database driver): a tool loads those after its arguments
 * are checked, so that `--help` and usage errors answer at once.
 */
import { loadEnvFile } from '../envFile.js';
import { ConfigError, errorCode, errorMessage } from '../errors.js';
import { StoreOpenError, StoreUnsupportedError } from '../store/types.js';

/**
 * Answers `--help` (or `-h`) and exits, when the arguments ask for it. A tool calls it before it
 * loads its heavy modules (zod, the database drivers, twilio, libphonenumber-js) with `await
 * import()`, so that help answers at once.
 */
export function answerHelp(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  if (!options.includes('--help') && !options.includes('-h')) return;
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How a tool is called, for the hint when npm took its options. */
export interface ToolInfo {
  /** The npm script: `seed` for `npm run seed`. */
  script: string;
  /** The tool's long options that npm would take for its own settings when written before `--`. */
  options: readonly string[];
}

/**
 * Why the tool did not get its options, when npm took them: `npm run seed --fake 10` passes only
 * `10` and sets `npm_config_fake=true` in the environment.
 */
export function npmTookOptions(tool: ToolInfo, argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  if (env.npm_lifecycle_event !== tool.script) return undefined;
  const taken = tool.options.filter((o) => env[`npm_config_${o.replace(/-/g, '_')}`] !== undefined && !argv.includes(`--${o}`));
  if (taken.length === 0) return undefined;
  const names = taken.map((o) => `--${o}`).join(', ');
  return `npm took ${names} for its own setting${taken.length > 1 ? 's' : ''}, so the tool did not get ${taken.length > 1 ? 'them' : 'it'}: put -- before the tool's options, as in npm run ${tool.script} -- --${taken[0] ?? ''} ...`;
}

/**
 * Runs a tool's main function and exits with its code: 2 for usage and configuration errors, a
 * store that cannot be opened, and an operation the store does not offer; 3 for anything else.
 */
export async function runCli(main: (argv: string[]) => Promise<number>, tool?: ToolInfo): Promise<void> {
  const argv = process.argv.slice(2);
  let code: number;
  try {
    const swallowed = tool && npmTookOptions(tool, argv, process.env);
    if (swallowed) throw new UsageError(swallowed);
    loadEnvFile();
    code = await main(argv);
  } catch (err) {
    const errCode = errorCode(err);
    const known =
      err instanceof UsageError ||
      err instanceof ConfigError ||
      err instanceof StoreOpenError ||
      err instanceof StoreUnsupportedError ||
      errCode === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      errCode === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      errCode === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
    console.error(`error: ${errorMessage(err)}`);
    code = known ? 2 : 3;
  }
  process.exitCode = code;
}
