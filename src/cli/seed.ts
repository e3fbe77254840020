/**
 * `npm run seed -- <file.csv|file.json> [--skip-invalid]`: validates and loads citizen records.
 * `npm run seed -- --fake N [--out file.csv]`: loads (or writes) N deterministic fake records.
 * Exit codes: 0 all loaded, 1 rows rejected, 2 usage error (or a store that cannot be opened).
 * Loads into the configured store: PostgreSQL when DATABASE_URL is set, else SQLite at DATABASE_PATH.
 */
import { createWriteStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { isoToday } from '../citizens/dates.js';
import { fakeCsvChunks, fakeRow, MAX_FAKE } from '../seeding/fake.js';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { seedRows, type SeedSummary } from '../seeding/seed.js';
import { readSeedFile, SeedFileError, seedFileKind, type SourceRow } from '../seeding/sources.js';
import { openStore } from '../store/open.js';
import { runCli, UsageError } from './run.js';

const USAGE = 'usage: npm run seed -- <file.csv|file.json> [--skip-invalid] | --fake N [--out file.csv]';

function* fakeRows(count: number): Generator<SourceRow> {
  for (let i = 0; i < count; i++) yield { where: `item ${i + 1}`, fields: fakeRow(i) };
}

async function writeFakeCsv(count: number, out: string): Promise<void> {
  const stream = createWriteStream(out);
  for (const chunk of fakeCsvChunks(count)) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

function describe(summary: SeedSummary): string {
  const counts = `inserted ${summary.inserted}, updated ${summary.updated}, rejected ${summary.rejected}`;
  if (summary.written) return counts;
  return `${counts}: nothing written (strict mode: fix the rejected rows, or load the valid ones with --skip-invalid)`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'skip-invalid': { type: 'boolean', default: false },
      fake: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env, { forTool: true });
  const skipInvalid = values['skip-invalid'];
  let rows: AsyncIterable<SourceRow> | Iterable<SourceRow>;
  if (values.fake !== undefined) {
    const count = Number(values.fake);
    if (!Number.isInteger(count) || count < 1 || count > MAX_FAKE) throw new UsageError(`--fake takes a count from 1 to ${MAX_FAKE}`);
    if (positionals.length > 0) throw new UsageError('--fake takes no file');
    if (values.out) {
      await writeFakeCsv(count, values.out);
      console.log(`wrote ${count} fake records to ${values.out}`);
      return 0;
    }
    rows = fakeRows(count);
  } else {
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError(`no file given; ${USAGE}`);
    if (extra.length > 0) throw new UsageError(`one file at a time; ${USAGE}`);
    try {
      seedFileKind(file);
      await access(file, constants.R_OK);
    } catch (err) {
      throw new UsageError(err instanceof SeedFileError ? err.message : `cannot read ${file}: ${errorMessage(err)}`);
    }
    rows = readSeedFile(file, (message) => {
      console.error(`warning: ${message}`);
    });
  }

  const store = await openStore(config);
  const tty = process.stderr.isTTY;
  const started = Date.now();
  try {
    const summary = await seedRows(store, rows, {
      skipInvalid,
      today: isoToday(new Date()),
      onReject: (where, reason) => {
        console.error(`${where}: ${reason}`);
      },
      onProgress: tty
        ? (n) => process.stderr.write(`\rread ${n} rows (${Math.round(n / ((Date.now() - started) / 1000))} rows/s)`)
        : undefined,
    });
    if (tty) process.stderr.write('\n');
    console.log(describe(summary));
    return summary.rejected > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof SeedFileError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

await runCli(() => main(process.argv.slice(2)));
