/**
 * `npm run seed -- <file.csv|file.json> [--skip-invalid]`: validates and loads citizen records.
 * `npm run seed -- --fake N [--out file.csv [--force]]`: loads (or writes) N deterministic fake records.
 * Exit codes: 0 all loaded, 1 rows rejected or no records, 2 usage error (or a store that cannot be opened).
 * Loads into the configured store: PostgreSQL when DATABASE_URL is set, else SQLite at DATABASE_PATH,
 * and names it first. Progress goes to stderr: a bar on a terminal, a plain line every few seconds
 * otherwise. At most 20 rejected rows are printed, then a summary by reason.
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { errorMessage } from '../errors.js';
import type { SeedSummary } from '../seeding/seed.js';
import type { SourceRow } from '../seeding/sources.js';
import { startProgress } from './progress.js';
import { RejectionReport } from './rejections.js';
import { answerHelp, runCli, UsageError } from './run.js';

const USAGE = 'usage: npm run seed -- <file.csv|file.json> [--skip-invalid] | --fake N [--out file.csv [--force]]';

// Help answers before the heavy modules load.
answerHelp(USAGE);
const { isoToday } = await import('../citizens/dates.js');
const { fakeCsvChunks, fakeRow, MAX_FAKE } = await import('../seeding/fake.js');
const { loadConfig } = await import('../config.js');
const { seedRows } = await import('../seeding/seed.js');
const { readSeedFile, SeedFileError, seedFileKind } = await import('../seeding/sources.js');
/** Rows between progress updates. */
const PROGRESS_EVERY = 5_000;
function* fakeRows(count: number): Generator<SourceRow> {
  for (let i = 0; i < count; i++) yield { where: `item ${i + 1}`, fields: fakeRow(i) };
}

async function writeFakeCsv(count: number, out: string, force: boolean): Promise<void> {
  // `wx`: an existing file is refused by the open itself, with no window between a check and the write.
  const stream = createWriteStream(out, { flags: force ? 'w' : 'wx' });
  await once(stream, 'open');
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
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.out !== undefined && values.fake === undefined) throw new UsageError(`--out writes fake records: it needs --fake N; ${USAGE}`);
  if (values.force && values.out === undefined) throw new UsageError(`--force only applies to --out; ${USAGE}`);
  const skipInvalid = values['skip-invalid'];
  let rows: AsyncIterable<SourceRow> | Iterable<SourceRow>;
  /** The fraction of the input read so far, for progress. */
  let fraction: (rowsRead: number) => number;
  let source: string;
  if (values.fake !== undefined) {
    const count = Number(values.fake);
    if (!Number.isInteger(count) || count < 1 || count > MAX_FAKE) throw new UsageError(`--fake takes a count from 1 to ${MAX_FAKE}`);
    if (positionals.length > 0) throw new UsageError('--fake takes no file');
    if (values.out) {
      const out = values.out;
      if (!values.force && existsSync(out)) throw new UsageError(`${out} exists: choose a new file, or add --force to overwrite it`);
      try {
        await writeFakeCsv(count, out, values.force);
      } catch (err) {
        throw new UsageError(`cannot write ${out}: ${errorMessage(err)}`);
      }
      console.log(`wrote ${count} fake records to ${out}`);
      return 0;
    }
    rows = fakeRows(count);
    fraction = (n) => n / count;
    source = `${count} fake records`;
  } else {
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError(`no file given; ${USAGE}`);
    if (extra.length > 0) throw new UsageError(`one file at a time; ${USAGE}`);
    let size: number;
    try {
      seedFileKind(file);
      await access(file, constants.R_OK);
      size = statSync(file).size;
    } catch (err) {
      throw new UsageError(err instanceof SeedFileError ? err.message : `cannot read ${file}: ${errorMessage(err)}`);
    }
    let bytesRead = 0;
    rows = readSeedFile(file, {
      onWarning: (message) => {
        console.error(`warning: ${message}`);
      },
      onBytes: (bytes) => {
        bytesRead = bytes;
      },
    });
    fraction = () => (size > 0 ? bytesRead / size : 1);
    source = file;
  }

  // The store's modules load after the file's parse thread was started: it starts meanwhile.
  const { openStore } = await import('../store/open.js');
  const config = loadConfig(process.env, { forTool: true });
  const store = await openStore(config);
  console.log(`loading ${source} into ${store.description}`);
  const progress = startProgress({ stream: process.stderr });
  const rejections = new RejectionReport((line) => {
    console.error(line);
  });
  try {
    const summary = await seedRows(store, rows, {
      skipInvalid,
      today: isoToday(new Date()),
      onReject: (where, reason) => {
        rejections.add(where, reason);
      },
      onProgress: (n) => {
        progress.update(n, fraction(n));
      },
      progressEvery: PROGRESS_EVERY,
    });
    progress.stop();
    for (const line of rejections.summary()) console.error(line);
    if (summary.inserted + summary.updated + summary.rejected === 0) {
      console.error(`error: no records in ${source}`);
      return 1;
    }
    console.log(describe(summary));
    return summary.rejected > 0 ? 1 : 0;
  } catch (err) {
    progress.stop();
    if (err instanceof SeedFileError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

await runCli(main, { script: 'seed', options: ['fake', 'out', 'skip-invalid'] });
