/**
 * The rejected rows of a load as the seed command prints them: the first few in full
 * (`line N: reason`), then one summary of all of them by what was wrong, so that a file with a
 * million bad rows gives a screen, not a million lines.
 */

/** Rejected rows printed in full. */
export const SHOWN_REJECTIONS = 20;

/**
 * What a rejection was about: the column its reason names (`phone: is too short...` -> `phone`),
 * else the start of the reason (a CSV row that could not be read). One row may name several.
 */
export function rejectionKinds(reason: string): string[] {
  return reason.split('; ').map((part) => {
    const column = /^([a-z_]+): /.exec(part)?.[1];
    if (column) return column;
    const head = part.split(':')[0] ?? part;
    return head.length > 60 ? `${head.slice(0, 57)}...` : head;
  });
}

const rowsWord = (n: number) => (n === 1 ? 'row' : 'rows');

/** Collects the rejections of one run. */
export class RejectionReport {
  private count = 0;
  private readonly kinds = new Map<string, number>();

  constructor(
    private readonly print: (line: string) => void,
    private readonly shown = SHOWN_REJECTIONS,
  ) {}

  /** One rejected row: printed while fewer than `shown` were. */
  add(where: string, reason: string): void {
    this.count++;
    if (this.count <= this.shown) this.print(`${where}: ${reason}`);
    for (const kind of new Set(rejectionKinds(reason))) this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  /** The closing lines: how many were not shown, and the count by kind, most first. Empty when none was rejected. */
  summary(): string[] {
    if (this.count === 0) return [];
    const lines: string[] = [];
    if (this.count > this.shown)
      lines.push(
        `... and ${this.count - this.shown} more rejected ${rowsWord(this.count - this.shown)} (the first ${this.shown} are shown)`,
      );
    const kinds = [...this.kinds].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    lines.push(`rejected ${this.count} ${rowsWord(this.count)}, by reason: ${kinds.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
    return lines;
  }
}
