/**
 * Preloaded into the benchmark's child processes (`node --import <this file>`): when the process
 * exits, writes its peak resident set size in KiB (getrusage `ru_maxrss`, every thread included)
 * to the file named by `BENCH_PEAK_RSS_FILE`. Does nothing else.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
