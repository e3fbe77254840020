/**
 * The one way the server and every tool open the configured store: PostgreSQL when
 * `DATABASE_URL` is set, else the SQLite file at `DATABASE_PATH`.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import type { CheckpointerOptions } from './checkpointer.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import { StoreOpenError, type Store } from './types.js';

/** How to open the store. */
export interface OpenStoreOptions {
  /** Refuse to create a database that does not exist yet (SQLite: the file; tools that only read or maintain). */
  mustExist?: boolean;
  /** Open without creating or migrating, for reading a copy (SQLite only). */
  readonly?: boolean;
  /** The server's choice for SQLite: refuse a file that fails `quick_check`. Ignored for PostgreSQL. */
  quickCheck?: boolean;
  /** The server's choice for SQLite: WAL checkpoints on a worker thread. Ignored for PostgreSQL. */
  backgroundCheckpoint?: CheckpointerOptions;
}

/** The settings that choose and size the store. */
export type StoreConfig = Pick<Config, 'databaseUrl' | 'databasePath' | 'databasePoolSize'>;

/**
 * Opens the configured store. Throws {@link StoreOpenError}, whose message is one line without any
 * password, when the database cannot be reached or used.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    if (options.readonly) throw new StoreOpenError('a PostgreSQL database cannot be opened read-only here');
    return openPostgresStore(config.databaseUrl, { poolSize: config.databasePoolSize });
  }
  const path = config.databasePath;
  if (options.mustExist && !options.readonly && path !== ':memory:' && !existsSync(path)) {
    throw new StoreOpenError(`no database at ${path} (set DATABASE_PATH, or DATABASE_URL for PostgreSQL)`);
  }
  return openSqliteStore(path, {
    readonly: options.readonly,
    quickCheck: options.quickCheck,
    backgroundCheckpoint: options.backgroundCheckpoint,
  });
}
