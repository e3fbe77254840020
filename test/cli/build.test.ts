// scripts/build.js and scripts/run.js, through which npm start and every tool run, on a small
// project of their own: a tool runs the compiled code once it is built, never code older than its
// sources, and never recompiles when nothing changed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';

let dir: string;

function write(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A program whose output tells which version of its source was compiled. */
const main = (version: string) =>
  `declare const process: { argv: string[] };\nconsole.log('version ${version}', process.argv.slice(2).join(','));\n`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-'));
  write('package.json', '{ "type": "module" }\n');
  write(
    'tsconfig.json',
    JSON.stringify({ compilerOptions: { target: 'es2023', lib: ['es2023', 'dom'], module: 'nodenext', strict: true, types: [] } }),
  );
  write(
    'tsconfig.build.json',
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: '.', outDir: 'dist' }, include: ['src'] }),
  );
  write('src/main.ts', main('1'));
  mkdirSync(join(dir, 'scripts'));
  for (const script of ['build.js', 'run.js']) copyFileSync(join(PROJECT_ROOT, 'scripts', script), join(dir, 'scripts', script));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(PROJECT_ROOT, 'node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function node(...args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const run = (...args: string[]) => node('scripts/run.js', 'dist/src/main.js', ...args);

describe('scripts/run.js', { timeout: 120_000 }, () => {
  it('builds once when nothing is built, then runs the compiled code with its arguments and no rebuild', () => {
    const first = run('a', 'b');
    expect(first).toMatchObject({ code: 0, stdout: 'version 1 a,b\n' });
    expect(first.stderr).toMatch(/^dist\/ is not built yet: building dist\/ \(once\)\.\.\.$/m);
    const second = run('c');
    expect(second).toMatchObject({ code: 0, stdout: 'version 1 c\n', stderr: '' });
  });

  it('rebuilds before running when a source changed since the build', () => {
    expect(node('scripts/build.js').code).toBe(0);
    write('src/main.ts', main('2'));
    const r = run();
    expect(r.stderr).toMatch(/the sources changed since the last build: building/);
    expect(r).toMatchObject({ code: 0, stdout: 'version 2 \n' });
  });

  it('rebuilds when a source file is added', () => {
    expect(node('scripts/build.js').code).toBe(0);
    write('src/extra.ts', 'export const extra = 1;\n');
    expect(run().stderr).toMatch(/the sources changed/);
  });

  it('refuses to run the old build when the new sources do not compile', () => {
    expect(node('scripts/build.js').code).toBe(0);
    write('src/main.ts', `${main('3')}const wrong: number = 'text';\n`);
    const r = run();
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/version/);
    expect(r.stderr).toMatch(/error: the build failed/);
    // Still refused on the next call: a failed build records nothing.
    expect(run().stdout).not.toMatch(/version/);
  });

  it('refuses in one line when the build is stale and TypeScript is not installed', () => {
    expect(node('scripts/build.js').code).toBe(0);
    rmSync(join(dir, 'node_modules'), { recursive: true });
    write('src/main.ts', main('4'));
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: the sources changed since the last build and TypeScript is not installed to build it: run npm ci (or npm run build where it is)',
    ]);
  });
});

describe('scripts/build.js --prepare (npm install, npm ci)', { timeout: 120_000 }, () => {
  it('builds', () => {
    expect(node('scripts/build.js', '--prepare').code).toBe(0);
    expect(run()).toMatchObject({ code: 0, stdout: 'version 1 \n', stderr: '' });
  });

  it('leaves a build made elsewhere when TypeScript is not installed (npm ci --omit=dev)', () => {
    rmSync(join(dir, 'node_modules'), { recursive: true });
    const r = node('scripts/build.js', '--prepare');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: TypeScript is not installed, so dist\/ is not built here/);
  });
});
