// Starts ONE throwaway PostgreSQL server for the whole test run, unless TEST_DATABASE_URL names
// one to use instead, and passes its URL to the tests (`inject('postgresUrl')`). If the server
// cannot start, setup throws and the run fails: no PostgreSQL test is ever skipped silently.
//
// It also migrates one empty database, the template that `createMigratedTestDatabase()` copies
// (`inject('postgresTemplate')`): copying it costs a fraction of creating and migrating a database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgresStore } from '../src/store/postgres.js';
import { startEmbeddedPostgres } from '../src/testing/embeddedPostgres.js';
import type {} from '../src/testing/postgres.js'; // declares what the setup provides

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL?.trim();
  const server = external ? undefined : await startEmbeddedPostgres();
  const url = external ?? server?.url ?? '';
  const template = `template_${randomBytes(6).toString('hex')}`;
  const teardown = async () => {
    await admin(url, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => undefined);
    await server?.destroy();
  };
  try {
    await admin(url, `CREATE DATABASE ${template}`);
    const templateUrl = new URL(url);
    templateUrl.pathname = `/${template}`;
    const store = await openPostgresStore(templateUrl.toString());
    await store.close();
  } catch (err) {
    await teardown();
    throw err;
  }
  project.provide('postgresUrl', url);
  project.provide('postgresTemplate', template);
  return teardown;
}
