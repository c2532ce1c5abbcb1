// The benchmark's native helpers (the kernel reference's loader, the limit side's C threads): C
// sources beside the modules, built with the machine's compilers on first use into .native/
// (gitignored; the temp dir when the package is read-only), keyed by a hash of their sources, and
// run as long-lived processes answering one line per command.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../cpu/module-url.js';

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command itself was not found. */
  missing: boolean;
}

export function exec(cmd: string, args: string[], timeoutMs = 120_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
        missing: e?.code === 'ENOENT',
      });
    });
  });
}

/** .native/<name>/ in the package, or a temp dir when the package is read-only. */
export function nativeDir(name: string): string {
  for (const dir of [join(PACKAGE_ROOT, '.native', name), join(tmpdir(), `percpu-maps-${name}`)]) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // read-only install: try the next place
    }
  }
  throw new Error(`no writable place for the ${name} build (.native/ or the temp dir)`);
}

/** The first line of a compiler's complaint that says 'error' (or its first line). */
export function firstError(stderr: string): string {
  return (stderr.split('\n').find((l) => /error/i.test(l)) ?? stderr.trim().split('\n')[0] ?? '').trim();
}

/** A long-lived helper: one command line in, one answer line out, answers in order. */
export class LineProcess {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | Error) => void)[] = [];
  private dead: Error | null = null;
  private stderrTail = '';

  constructor(what: string, bin: string, args: string[]) {
    this.proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.proc.stderr.on('data', (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString()).slice(-2000); });
    const die = (why: string) => {
      this.dead = new Error(`${what} ${why}${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-2).join(' ')}` : ''}`);
      for (const w of this.waiting.splice(0)) w(this.dead);
    };
    this.proc.on('error', (e) => die(`failed: ${e.message}`));
    this.proc.on('exit', (code, sig) => die(`exited (${sig ?? code})`));
  }

  /** The last lines the helper wrote on stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** The next answer line (the helper's first line, before any command: its greeting). */
  next(): Promise<string> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.waiting.push((l) => (l instanceof Error ? reject(l) : resolve(l))));
  }

  /** Send one command and wait for its answer. */
  ask(command: string): Promise<string> {
    const answer = this.next();
    this.proc.stdin.write(`${command}\n`);
    return answer;
  }

  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end();
    await exited;
  }
}
