// Our libbpf helper (prog-helper.c): built with the machine's cc on first use into .native/, run as
// one long-lived process, asked one line per command (see prog-helper.c for the protocol). The
// kernel loader (kernel.ts) verifies objects through it; program conformance's kernel side plays
// whole scenarios through it.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ERRNO } from '../../maps/errno.js';
import { sourceFile } from '../package-files.js';
import { buildNative, DriverError } from './process.js';

/** Compile the helper (libbpf) unless a binary of this exact source exists; throws a one-line reason. */
export function buildProgHelper(cc?: string): Promise<string> {
  return buildNative({
    source: sourceFile(import.meta.url, './prog-helper.c'), name: 'prog-helper', what: 'the program helper', libs: ['-lbpf', '-lpthread'],
    hint: (stderr) => (/bpf\/(libbpf|bpf)\.h|-lbpf/.test(stderr) ? 'libbpf is missing: apt-get install libbpf-dev' : 'are libbpf-dev and linux-libc-dev installed?'),
  }, cc);
}

/** An errno's name ('EACCES'), or 'E#n' for one this table does not know. */
export function errnoLabel(n: number): string {
  for (const [name, v] of Object.entries(ERRNO)) if (v === n) return name;
  return `E#${n}`;
}

/**
 * The line of a verifier log that says why: the last one before the statistics and the register
 * states the verifier prints after some messages ("cur state:", "old state:").
 */
export function verifierLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  while (lines.length > 0 && /^(processed \d+ insns|verification time|stack depth|-- END PROG LOAD LOG --|cur state:|old state:)/.test(lines[lines.length - 1]!)) lines.pop();
  return lines[lines.length - 1] ?? '';
}

/** Hex the helper sends ('=' for none) as text. */
export function hexText(hex: string): string {
  return hex === '=' || hex === '' ? '' : Buffer.from(hex, 'hex').toString('utf8');
}

/** One helper process. */
export class ProgHelper {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | Error) => void)[] = [];
  private dead: Error | null = null;
  /** The last few KiB the helper wrote to stderr (libbpf's warnings). */
  stderr = '';

  constructor(bin: string) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const die = (why: string): void => {
      this.dead = new DriverError(`the program helper ${why}${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
      for (const w of this.waiting.splice(0)) w(this.dead);
    };
    this.proc.on('error', (e) => die(`failed: ${e.message}`));
    this.proc.on('exit', (code, sig) => die(`exited (${sig ?? code})`));
  }

  static async start(bin?: string): Promise<ProgHelper> {
    return new ProgHelper(bin ?? (await buildProgHelper()));
  }

  /** Send one command; ok answers give their words, err answers { errno, text }; fail throws a DriverError. */
  async ask(line: string): Promise<{ ok: string[] } | { errno: number; text: string }> {
    if (this.dead) throw this.dead;
    const answer = await new Promise<string>((resolve, reject) => {
      this.waiting.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.proc.stdin.write(`${line}\n`);
    });
    if (answer === 'ok') return { ok: [] };
    if (answer.startsWith('ok ')) return { ok: answer.slice(3).split(' ') };
    const m = /^err (\d+)(?: (\S*))?$/.exec(answer);
    if (m) return { errno: Number(m[1]), text: hexText(m[2] ?? '') };
    const what = line.length > 80 ? `${line.slice(0, 80)}...` : line;
    throw new DriverError(`program helper: '${what}': ${answer.replace(/^fail /, '')}`);
  }

  /** As ask(), but an errno is a DriverError too. */
  async must(line: string): Promise<string[]> {
    const r = await this.ask(line);
    if ('errno' in r) throw new DriverError(`program helper: '${line.split(' ')[0]}' failed with ${errnoLabel(r.errno)}${r.text ? `: ${r.text}` : ''}`);
    return r.ok;
  }

  async stop(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end();
    await exited;
  }
}
