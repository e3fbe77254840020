/**
 * Child processes of the operations tests, the benchmark and the soak test: the environment they
 * get, and the compiled server (or another server script) started, waited for and stopped.
 *
 * A server writes its stdout (the JSON log) and stderr to files, as it would to journald: a long
 * benchmark does not hold its log in memory, and a test reads what was written so far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What a child process may take from ours: what node and SQLite need, nothing else by accident. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SQLITE_TMPDIR'] as const;

/**
 * The environment of a child process: {@link INHERITED} from ours, plus `vars` (undefined ones left
 * out). `ENV_FILE` is empty unless `vars` names one, so that a developer's `.env` in the project
 * folder never reaches a test.
 */
export function childEnv(vars: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ENV_FILE: '' };
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(vars)) if (value !== undefined) env[name] = value;
  return env;
}

/** The compiled server, built by `npm run build` (and by test/global-setup.ts). */
export const SERVER_JS = join(PROJECT_ROOT, 'dist', 'src', 'server.js');

/** What {@link startServer} starts. */
export interface ServerOptions {
  /** Variables of its environment (see {@link childEnv}). */
  env: Record<string, string | undefined>;
  /** Folder of its log files, `<name>.log` (stdout) and `<name>.stderr`. */
  dir: string;
  /** Default `server`. */
  name?: string;
  /** Default the compiled server, {@link SERVER_JS}. */
  script?: string;
  /** Node flags before the script. */
  nodeArgs?: readonly string[];
  /** How long it may take to log "listening". Default 30 s. */
  timeoutMs?: number;
  /** Hears the child as soon as it is spawned (to kill it if the caller is interrupted). */
  onSpawn?: (proc: ChildProcess) => void;
}

/** A running server. */
export interface ServerProcess {
  proc: ChildProcess;
  pid: number;
  port: number;
  url: string;
  logFile: string;
  errFile: string;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** The JSON log lines (stdout) so far. */
  logs: () => Record<string, unknown>[];
  exited: Promise<Exit>;
  hasExited: () => boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The JSON objects among the lines of `text`. */
function jsonLines(text: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) objects.push(value);
    } catch {
      // a line still being written
    }
  }
  return objects;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Spawns `node [nodeArgs] script` and resolves once it logs `listening` with its port. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const name = options.name ?? 'server';
  const logFile = join(options.dir, `${name}.log`);
  const errFile = join(options.dir, `${name}.stderr`);
  const out = openSync(logFile, 'w');
  const err = openSync(errFile, 'w');
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? SERVER_JS], {
    cwd: PROJECT_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', out, err],
  });
  closeSync(out);
  closeSync(err);
  options.onSpawn?.(proc);
  const ended: { exit: Exit | undefined; error: Error | undefined } = { exit: undefined, error: undefined };
  proc.once('error', (e) => (ended.error = e));
  const exited = new Promise<Exit>((resolve) =>
    proc.once('exit', (code, signal) => {
      ended.exit = { code, signal };
      resolve(ended.exit);
    }),
  );
  const output = () => readFileSync(logFile, 'utf8') + readFileSync(errFile, 'utf8');
  const logs = () => jsonLines(readFileSync(logFile, 'utf8'));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      if (ended.error) throw new Error(`${name} could not start: ${ended.error.message}`);
      const port = logs().find((l) => l.msg === 'listening')?.port;
      if (typeof port === 'number') {
        const { pid = 0 } = proc;
        return { proc, pid, port, url: `http://127.0.0.1:${port}`, logFile, errFile, output, logs, exited, hasExited: () => !!ended.exit };
      }
      if (ended.exit) {
        const how = ended.exit.code ?? ended.exit.signal ?? '?';
        throw new Error(`${name} exited before listening (${how}): ${output().trim()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${name} did not log "listening" within ${(options.timeoutMs ?? 30_000) / 1000} s: ${output().trim()}`);
      await sleep(50);
    }
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
}

/** Stops a server with SIGTERM, and SIGKILL after `killAfterMs`. Resolves with its exit. */
export async function stopServer(server: ServerProcess, killAfterMs = 15_000): Promise<Exit> {
  if (server.hasExited()) return server.exited;
  server.proc.kill('SIGTERM');
  const timer = setTimeout(() => server.proc.kill('SIGKILL'), killAfterMs);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timer);
  }
}
