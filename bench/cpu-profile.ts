/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): total sampled time per function (self time),
 * largest first, with the file it is in (paths shortened to the package or `dist/` file).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One line of the summary: a function, its self time (ms) and share of all samples. */
export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

function shorten(url: string): string {
  if (!url) return '';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}`;
  const dist = /\/dist\/(.*)$/.exec(url);
  if (dist) return dist[1] ?? url;
  return url.replace(/^file:\/\//, '');
}

/**
 * The `top` functions of a profile by self time; `share` is of the busy time (all samples but
 * `(idle)`, the event loop waiting).
 */
export function topSelfTime(file: string, top = 15): { totalMs: number; busyMs: number; functions: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFunction = new Map<string, SelfTime>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = perNode.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = perFunction.get(key) ?? { name, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    perFunction.set(key, entry);
  }
  const busyMs = total / 1000 - [...perFunction.values()].filter((f) => f.name === '(idle)').reduce((n, f) => n + f.ms, 0);
  const functions = [...perFunction.values()]
    .filter((f) => f.name !== '(idle)')
    .map((f) => ({ ...f, share: busyMs > 0 ? f.ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
  return { totalMs: total / 1000, busyMs, functions };
}
