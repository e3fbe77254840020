// Starts ONE throwaway PostgreSQL server for the whole test run, unless TEST_DATABASE_URL names
// one to use instead, and passes its URL to the tests (`inject('postgresUrl')`). If the server
// cannot start, setup throws and the run fails: no PostgreSQL test is ever skipped silently.
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/testing/embeddedPostgres.js';
import type {} from '../src/testing/postgres.js'; // declares the provided `postgresUrl`

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_DATABASE_URL?.trim();
  if (external) {
    project.provide('postgresUrl', external);
    return undefined;
  }
  const server = await startEmbeddedPostgres();
  project.provide('postgresUrl', server.url);
  return () => server.destroy();
}
