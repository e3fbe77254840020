import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clockTime, progressLine, startProgress } from './progress.js';

/** A stream that keeps what is written; `isTTY` as given. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join(''), columns: 120 });
}

describe('progress', () => {
  it.each([
    [0, '0:00'],
    [59.4, '0:59'],
    [65, '1:05'],
    [3600 * 12 + 7, '12:00:07'],
  ])('shows %s s as %s', (seconds, text) => {
    expect(clockTime(seconds)).toBe(text);
  });

  it('gives rows, percent, rows/s and time left in the plain line', () => {
    expect(progressLine(120_000, 0.36, 3_000)).toBe('read 120000 rows (36%), 40000 rows/s, about 0:05 left');
    expect(progressLine(10, 0, 0)).toBe('read 10 rows (0%), 0 rows/s');
    expect(progressLine(10, 1, 1_000)).toBe('read 10 rows (100%), 10 rows/s');
  });

  it('writes a plain line at most every interval when the stream is not a terminal', () => {
    const clock = { now: 0 };
    const out = sink(false);
    const p = startProgress({ stream: out, intervalMs: 5_000, clock: () => clock.now });
    clock.now = 1_000;
    p.update(1_000, 0.1);
    expect(out.text()).toBe('');
    clock.now = 5_000;
    p.update(5_000, 0.5);
    clock.now = 6_000;
    p.update(6_000, 0.6);
    clock.now = 10_000;
    p.update(10_000, 0.75);
    p.stop();
    expect(out.text()).toBe('read 5000 rows (50%), 1000 rows/s, about 0:05 left\nread 10000 rows (75%), 1000 rows/s, about 0:03 left\n');
  });

  it('draws a bar with percent, rows/s and time left on a terminal', () => {
    const clock = { now: 0 };
    const out = sink(true);
    const p = startProgress({ stream: out, clock: () => clock.now });
    clock.now = 4_000;
    p.update(40_000, 0.25);
    p.stop();
    expect(out.text()).toContain('25% | 40000 rows | 10000 rows/s | 0:12 left');
    // Redrawn in place: the cursor goes back to the first column, no new line per update.
    expect(out.text()).toContain('\u001b[1G');
    expect(out.text().split('\n').length).toBeLessThanOrEqual(2);
  });
});
