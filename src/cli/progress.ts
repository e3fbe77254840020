/**
 * Progress of a long load, on stderr: on a terminal a bar (cli-progress) with percent, rows/s and
 * time left; when stderr is a file or a pipe, one plain line every few seconds. The percent is of
 * the input read (bytes of the file, or rows of a fake set), known before the end.
 */
import cliProgress from 'cli-progress';

/** What a progress display needs. */
export interface ProgressOptions {
  /** Where to write: stderr. */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Between plain lines (when the stream is not a terminal). Default 5 s. */
  intervalMs?: number;
  /** Milliseconds (injected by tests). */
  clock?: () => number;
}

/** A running progress display. */
export interface Progress {
  /** `rows` read so far, and the fraction of the input they are (0 to 1). */
  update(rows: number, fraction: number): void;
  /** Ends the display (the bar's last state stays on the terminal). */
  stop(): void;
}

const STEPS = 1000;

/** `1:05`, `12:00:07`: a duration in seconds as a clock shows it. */
export function clockTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h = 0, m = 0, sec = 0] = hms;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** The plain line of a state: `read 120000 rows (36%), 41000 rows/s, about 0:08 left`. */
export function progressLine(rows: number, fraction: number, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
  const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
  const left = fraction > 0 && fraction < 1 ? `, about ${clockTime((seconds * (1 - fraction)) / fraction)} left` : '';
  return `read ${rows} rows (${percent}%), ${rate} rows/s${left}`;
}

/** Starts a progress display on `stream`: a bar on a terminal, else plain lines. */
export function startProgress({ stream, intervalMs = 5_000, clock = Date.now }: ProgressOptions): Progress {
  const started = clock();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {rows} rows | {rate} rows/s | {left} left',
        hideCursor: true,
        clearOnComplete: false,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(STEPS, 0, { rows: 0, rate: 0, left: '-' });
    return {
      update(rows, fraction) {
        const seconds = (clock() - started) / 1000;
        const left = fraction > 0 ? clockTime((seconds * (1 - fraction)) / fraction) : '-';
        bar.update(Math.round(Math.min(1, fraction) * STEPS), { rows, rate: seconds > 0 ? Math.round(rows / seconds) : 0, left });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = started;
  return {
    update(rows, fraction) {
      const now = clock();
      if (now - last < intervalMs) return;
      last = now;
      stream.write(`${progressLine(rows, fraction, now - started)}\n`);
    },
    stop() {},
  };
}
