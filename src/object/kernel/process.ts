// Running the tools that reach the live kernel: a command to completion, and our C helpers
// compiled with the machine's cc into .native/ (gitignored) on first use, keyed by their source's
// hash, so a changed helper is rebuilt and an unchanged one is not.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-files.js';

/** A helper or tool said something that is not the kernel's answer (bad arguments, it died, ...). */
export class DriverError extends Error {
  override name = 'DriverError';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** spawn failure (ENOENT: not installed, EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
}

/** Run a program to completion; never throws. */
export function run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        resolve({ code: -1, stdout, stderr, spawnError: err as NodeJS.ErrnoException });
        return;
      }
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

/** Where native binaries go: .native/ in the package, or the temp dir when that is read-only. */
function outputDir(): string {
  const dir = join(PACKAGE_ROOT, '.native');
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    const t = join(tmpdir(), 'percpu-maps-native');
    mkdirSync(t, { recursive: true });
    return t;
  }
}

export interface NativeBuild {
  /** The C file. */
  source: string;
  /** The binary's name, before the source's hash. */
  name: string;
  /** What it is, for messages ("the native bpf helper"). */
  what: string;
  /** Linker flags after the source (-lbpf ...). */
  libs?: string[];
  /** What to install when the compile fails. */
  hint: (stderr: string) => string;
}

/**
 * Compile a C helper unless a binary of this exact source exists. Returns its path, or throws an
 * Error whose message is one line saying what is missing.
 */
export async function buildNative(b: NativeBuild, cc = process.env.CC || 'cc'): Promise<string> {
  if (!existsSync(b.source)) throw new Error(`${b.what}'s source is missing (${b.source})`);
  const hash = createHash('sha256').update(readFileSync(b.source)).digest('hex').slice(0, 12);
  const bin = join(outputDir(), `${b.name}-${hash}`);
  if (existsSync(bin)) return bin;
  // Build under a private name and rename: two runs compiling at once never see half a binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = await run(cc, ['-O2', '-Wall', '-o', tmp, b.source, ...(b.libs ?? [])], 120_000);
  if (r.spawnError) throw new Error(`no C compiler '${cc}' to build ${b.what} (install gcc, or set CC)`);
  if (r.code !== 0) {
    rmSync(tmp, { force: true });
    const first = r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.trim().split('\n')[0] ?? '';
    throw new Error(`${b.what} does not compile with ${cc} (${b.hint(r.stderr)}): ${first.trim()}`);
  }
  renameSync(tmp, bin);
  return bin;
}
