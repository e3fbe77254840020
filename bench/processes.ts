/**
 * The benchmark's child processes: where the compiled scripts are, runs to completion with their
 * output in files, servers under load with their peak RSS and CPU time from /proc, and a kill of
 * every child still running when the benchmark stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer as startServerProcess, stopServer as stopServerProcess, type ServerProcess } from '../src/testing/processes.js';

export const HOST = '127.0.0.1';

export const DIST = fileURLToPath(new URL('../', import.meta.url));
export const SERVER_JS = join(DIST, 'src', 'server.js');
export const SEED_JS = join(DIST, 'src', 'cli', 'seed.js');
export const BARE_SERVER_JS = join(DIST, 'bench', 'bare-server.js');
export const BARE_SEED_JS = join(DIST, 'bench', 'bare-seed.js');
export const PEAK_RSS_JS = join(DIST, 'bench', 'peak-rss.js');
export const FLOOR_SERVER_JS = join(DIST, 'bench', 'floor-server.js');
export const BARE_COPY_JS = join(DIST, 'bench', 'bare-copy.js');
export const COUNT_STATEMENTS_JS = join(DIST, 'bench', 'count-statements.js');

const children = new Set<ChildProcess>();
/** Kills every child still running (servers, seeding runs): on exit, on a signal, on a failure. */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}
/** Kills the children when this process exits or is interrupted (SIGINT, SIGTERM: exit code 130). */
export function killChildrenOnExit(): void {
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killChildren();
      process.exit(130);
    });
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs `node [nodeArgs] script args`, output to files in `dir`, bounded by `timeoutMs`. */
export function runNode(
  dir: string,
  name: string,
  nodeArgs: string[],
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finished> {
  const outFile = join(dir, `${name}.stdout`);
  const errFile = join(dir, `${name}.stderr`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  children.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, ms, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') });
    });
  });
}

export function readPeakRssKiB(file: string): number {
  const kib = Number(readFileSync(file, 'utf8'));
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no peak RSS in ${file}`);
  return kib;
}

/** `VmHWM` (peak) or `VmRSS` (current) of a live process, in KiB; undefined when it is gone. */
export function procStatusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A server under load: its process, and the highest VmRSS seen by polling (a fallback where /proc has no VmHWM). */
export interface Server extends ServerProcess {
  name: string;
  polledPeakKiB: number;
  poller: NodeJS.Timeout | undefined;
}

/** Starts a server script and waits for its `listening` log line (which gives the port). */
export async function startServer(
  dir: string,
  name: string,
  nodeArgs: string[],
  script: string,
  env: Record<string, string | undefined>,
): Promise<Server> {
  const started = await startServerProcess({ dir, name, nodeArgs, script, env, onSpawn: (child) => children.add(child) });
  const server: Server = { ...started, name, polledPeakKiB: 0, poller: undefined };
  server.poller = setInterval(() => {
    server.polledPeakKiB = Math.max(server.polledPeakKiB, procStatusKiB(server.pid, 'VmRSS') ?? 0);
  }, 200);
  server.poller.unref();
  return server;
}

/** CPU time (user + system, every thread) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    // Nanoseconds on a CPU: the first field of schedstat, when the kernel has it.
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e9;
  } catch {
    // fall through to stat
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/** Peak RSS of a running server in KiB: VmHWM, or the polled maximum of VmRSS. */
export function serverPeakKiB(server: Server): number {
  return Math.max(procStatusKiB(server.pid, 'VmHWM') ?? 0, server.polledPeakKiB);
}

/** SIGTERM, then SIGKILL after 15 s. Resolves with the exit code. */
export async function stopServer(server: Server): Promise<number | null> {
  clearInterval(server.poller);
  const { code } = await stopServerProcess(server);
  children.delete(server.proc);
  return code;
}
