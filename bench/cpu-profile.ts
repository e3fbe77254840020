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

/** Each node of the profile in `file` with its self time in microseconds (the sum of its samples). */
function nodeSelfTimes(file: string): { node: ProfileNode; us: number }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return profile.nodes.map((node) => ({ node, us: perNode.get(node.id) ?? 0 }));
}

/**
 * The `top` functions of a profile by self time; `share` is of the busy time (all samples but
 * `(idle)`, the event loop waiting).
 */
export function topSelfTime(file: string, top = 15): { totalMs: number; busyMs: number; functions: SelfTime[] } {
  const perFunction = new Map<string, SelfTime>();
  let total = 0;
  for (const { node, us } of nodeSelfTimes(file)) {
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

/** Where a sampled function belongs, for {@link selfTimeByArea}: the first rule that matches. */
const AREAS: readonly { area: string; matches: (name: string, url: string) => boolean }[] = [
  { area: 'garbage collection', matches: (name) => name === '(garbage collector)' },
  {
    area: 'SQLite (better-sqlite3, src/store)',
    matches: (_n, url) => url.includes('node_modules/better-sqlite3/') || url.includes('/src/store/'),
  },
  {
    area: 'signature and sender key (twilio, HMAC)',
    matches: (name, url) => url.includes('node_modules/twilio/') || url.startsWith('node:internal/crypto') || name === 'Hmac',
  },
  {
    area: 'HTTP and Express (node:http, sockets, express, router)',
    matches: (name, url) =>
      /node_modules\/(express|router|parseurl|finalhandler|on-finished|content-type|mime-types|mime-db|send|encodeurl|escape-html|depd|debug|ms|statuses|vary)\//.test(
        url,
      ) ||
      /^node:(_http|net|internal\/streams|internal\/stream_base_commons|events|internal\/http|internal\/url|buffer|internal\/buffer)/.test(
        url,
      ) ||
      ['writev', 'writeString', 'writeBuffer', 'writeUtf8String', 'writeLatin1String'].includes(name),
  },
  {
    area: 'webhook code: form, parsing, rendering, logs, metrics',
    matches: (_n, url) =>
      url.includes('/src/') ||
      url.includes('node_modules/pino') ||
      url.includes('node_modules/prom-client/') ||
      url.includes('node_modules/sonic-boom/'),
  },
];

/** A profile's busy time summed by area (garbage collection, SQLite, HTTP and Express, ...), largest first. */
export function selfTimeByArea(file: string): { area: string; ms: number; share: number }[] {
  const perArea = new Map<string, number>();
  let busy = 0;
  for (const { node, us } of nodeSelfTimes(file)) {
    const { functionName, url } = node.callFrame;
    if (us === 0 || functionName === '(idle)') continue;
    busy += us;
    const area = AREAS.find((a) => a.matches(functionName, url))?.area ?? 'other (Node internals, V8, start-up)';
    perArea.set(area, (perArea.get(area) ?? 0) + us);
  }
  return [...perArea].map(([area, us]) => ({ area, ms: us / 1000, share: busy > 0 ? us / busy : 0 })).sort((a, b) => b.ms - a.ms);
}
