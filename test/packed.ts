// The package as a user gets it: `npm pack` of this tree, installed with tsx into an empty project
// in a temporary folder. Packed once per vitest run (the suite's files share the folder, keyed by
// the vitest process that forks them); folders of runs that have ended are removed.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PREFIX = 'percpu-maps-packed-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The code blocks of a markdown file that follow a line naming them ("`name`:"), by name. */
export function namedBlocks(markdownFile: string): Map<string, string> {
  const text = readFileSync(markdownFile, 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/`([\w.-]+\.(?:ts|mts|js|mjs))`[^\n]*:\n+```(?:ts|js)\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * The folder of a project with percpu-maps (packed from this tree) and tsx installed, ready for a
 * user's files. Takes a minute the first time in a run (build, pack, install from the npm cache).
 */
export async function packedProject(): Promise<string> {
  const dir = join(tmpdir(), `${PREFIX}${process.ppid}`);
  const done = join(dir, '.ready');
  if (existsSync(done)) return dir;
  for (const old of readdirSync(tmpdir()).filter((f) => f.startsWith(PREFIX))) {
    if (!alive(Number(old.slice(PREFIX.length)))) rmSync(join(tmpdir(), old), { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // npm pack runs the prepare script (the build), so the tarball holds this tree's code.
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 1 << 24 });
  const tarball = join(dir, stdout.trim().split('\n').pop()!);
  const tsx = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tsx', 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'newcomer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `tsx@${tsx}`], { cwd: dir, maxBuffer: 1 << 24 });
  writeFileSync(done, tarball);
  return dir;
}

/** Run a command in the packed project; stdout, stderr and the exit code. */
export async function inProject(dir: string, command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: dir, maxBuffer: 1 << 24, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
