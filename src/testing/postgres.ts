// Fresh PostgreSQL databases for tests, on the run's server (test/postgres-setup.ts): each test or
// fixture creates its own (`t_<random>`) and drops it afterwards. A migrated one is a copy of the
// run's template database (migrated once by the setup), which is quicker than migrating each.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL whose user may create and drop databases (test/postgres-setup.ts). */
    postgresUrl: string;
    /** A database on that server at the current schema, with nothing in it, to copy (`CREATE DATABASE … TEMPLATE`). */
    postgresTemplate: string;
  }
}

/** A database of one test's own. */
export interface TestDatabase {
  readonly name: string;
  /** Its URL (same server, user and password as the run's). */
  readonly url: string;
  /** Runs SQL as the server's administrator, connected to this database. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Ends every session on this database (as a crash or failover would), but this helper's. */
  terminateSessions(): Promise<number>;
  /** Drops the database, ending the sessions still on it. */
  drop(): Promise<void>;
}

/** The run's server URL with another database. */
export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database on the run's server: empty, or a copy of `template` (a database nobody is
 * connected to).
 */
export async function createTestDatabase(
  serverUrl: string = inject('postgresUrl'),
  { template }: { template?: string } = {},
): Promise<TestDatabase> {
  const name = `t_${randomBytes(8).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`));
  const url = databaseUrl(serverUrl, name);
  return {
    name,
    url,
    sql: async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      withClient(url, async (c) => (await c.query<R>(text, values)).rows),
    terminateSessions: () =>
      withClient(serverUrl, async (c) => {
        const rows = await c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [name],
        );
        return rows.rowCount ?? 0;
      }),
    drop: () =>
      withClient(serverUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/** A database at the current schema with nothing in it, as a store would leave it after migrating an empty one. */
export function createMigratedTestDatabase(): Promise<TestDatabase> {
  return createTestDatabase(inject('postgresUrl'), { template: inject('postgresTemplate') });
}

/** Resolves once at least `count` sessions of the database at `url` wait for a lock (polled, from a connection of its own). */
export async function untilSessionsWaitForLocks(url: string, count: number): Promise<void> {
  for (;;) {
    const waiting = await withClient(url, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      return rows[0]?.n ?? 0;
    });
    if (waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
