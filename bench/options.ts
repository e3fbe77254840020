/** Command-line options of the benchmark and the soak test: numbers within bounds, and the usage error. */

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {}

/** The bounds of a numeric option, and its value when it is not given. */
export interface NumberRange {
  fallback: number;
  min: number;
  max: number;
  /** Default true. */
  integer?: boolean;
}

/** The value of `--<name>`, or `fallback` when absent; a {@link UsageError} when out of range. */
export function numberOption(value: string | undefined, name: string, { fallback, min, max, integer = true }: NumberRange): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} takes ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

/** The options of `npm run bench`. */
export interface BenchOptions {
  records: number;
  duration: number;
  rounds: number;
  connections: number;
  warmup: number;
  smoke: boolean;
  json: string | undefined;
  cpuProf: string | undefined;
  keep: boolean;
  failOnMiss: boolean;
  /** Run only one part; the webhook part still seeds its database with the project's code. */
  only: 'seeding' | 'webhook' | undefined;
  /**
   * `sqlite` (default): the project on SQLite, the floor and bare Express. `postgres`: the same,
   * plus the project on a throwaway PostgreSQL with one node and with two, and PostgreSQL seeding
   * against a bare COPY.
   */
  store: 'sqlite' | 'postgres';
}
