/**
 * Shared entry point of the command-line tools: runs `main`, maps errors to exit codes and
 * prints one line, never a stack trace, for the errors a user can fix.
 */
import { ConfigError } from '../config.js';
import { errorCode, errorMessage } from '../errors.js';
import { StoreOpenError, StoreUnsupportedError } from '../store/types.js';

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs a tool's main function and exits with its code: 2 for usage and configuration errors, a
 * store that cannot be opened, and an operation the store does not offer.
 */
export async function runCli(main: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    const errCode = errorCode(err);
    const known =
      err instanceof UsageError ||
      err instanceof ConfigError ||
      err instanceof StoreOpenError ||
      err instanceof StoreUnsupportedError ||
      errCode === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      errCode === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
    console.error(`error: ${errorMessage(err)}`);
    code = known ? 2 : 3;
  }
  process.exitCode = code;
}
