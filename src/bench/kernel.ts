// The kernel reference: the race lab's four counters as real eBPF programs (kernel/counters.bpf.c
// beside this file), built with clang for the BPF target and run by our libbpf loader (kernel/
// loader.c) through BPF_PROG_TEST_RUN on several CPUs at once. Both are built at bench time into
// .native/bench-kernel/ (gitignored), keyed by a hash of their sources. Anything missing (clang,
// libbpf headers, bpf() permission) becomes one line saying what and how to get it.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT, sourceFile } from '../cpu/module-url.js';

/** The C sources of the kernel reference, beside this module (src/bench/kernel/, also from dist). */
export const KERNEL_SOURCES = sourceFile(import.meta.url, './kernel/');

/** The kernel programs and the map each one counts in. */
export const KERNEL_PROGRAMS = {
  racy: 'racy_counter',
  atomic: 'atomic_counter',
  spinlock: 'spinlock_counter',
  percpu: 'percpu_counter',
  percpu_atomic: 'percpu_atomic_counter',
} as const;
export type KernelProgram = keyof typeof KERNEL_PROGRAMS;

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
}

function exec(cmd: string, args: string[], timeoutMs = 120_000): Promise<Exec> {
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

function outputDir(): string {
  for (const dir of [join(PACKAGE_ROOT, '.native', 'bench-kernel'), join(tmpdir(), 'percpu-maps-bench-kernel')]) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // read-only install: try the next place
    }
  }
  throw new Error('no writable place for the kernel reference build (.native/ or the temp dir)');
}

/** The Debian multiarch include dir (asm/types.h lives there), which clang -target bpf does not search. */
async function multiarchInclude(): Promise<string[]> {
  const r = await exec('cc', ['-print-multiarch']);
  const triple = r.code === 0 ? r.stdout.trim() : process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : '';
  return triple ? ['-I', `/usr/include/${triple}`] : [];
}

function firstError(stderr: string): string {
  return (stderr.split('\n').find((l) => /error/i.test(l)) ?? stderr.trim().split('\n')[0] ?? '').trim();
}

/** The program type the counters are built as: tc (default) or XDP (see counters.bpf.c). */
export type KernelHook = 'tc' | 'xdp';

export interface KernelBuild {
  hook: KernelHook;
  object: string;
  loader: string;
  /** e.g. 'clang 14.0.6, libbpf 1.1.2' */
  tools: string;
}

/** Build the BPF object and the loader unless this exact source was built before. Throws one-line reasons. */
export async function buildKernelReference(hook: KernelHook = 'tc'): Promise<KernelBuild> {
  if (process.platform !== 'linux') throw new Error(`not measured: eBPF needs Linux (this is ${process.platform})`);
  const bpfSrc = join(KERNEL_SOURCES, 'counters.bpf.c');
  const loaderSrc = join(KERNEL_SOURCES, 'loader.c');
  if (!existsSync(bpfSrc) || !existsSync(loaderSrc)) throw new Error(`not measured: the kernel programs' sources are not in this install (${KERNEL_SOURCES}); run from a clone of the repository`);
  const clang = process.env.CLANG || 'clang';
  const version = await exec(clang, ['--version']);
  if (version.missing) throw new Error(`not measured: no clang to build the eBPF programs (Debian: apt-get install clang llvm libbpf-dev)`);
  const clangVersion = /version\s+([\d.]+)/.exec(version.stdout)?.[1] ?? '?';
  const hash = createHash('sha256').update(readFileSync(bpfSrc)).update(readFileSync(loaderSrc)).digest('hex').slice(0, 12);
  const dir = outputDir();
  const object = join(dir, `counters-${hook}-${hash}.bpf.o`);
  const loader = join(dir, `loader-${hash}`);
  if (!existsSync(object)) {
    const tmp = `${object}.${process.pid}.tmp`;
    const r = await exec(clang, ['-O2', '-g', '-target', 'bpf', ...(hook === 'xdp' ? ['-DBENCH_XDP'] : []), ...(await multiarchInclude()), '-c', bpfSrc, '-o', tmp]);
    if (r.code !== 0) {
      rmSync(tmp, { force: true });
      const hint = /bpf_helpers\.h/.test(r.stderr) ? ' (libbpf headers missing: apt-get install libbpf-dev)' : /asm\/types\.h|linux\/bpf\.h/.test(r.stderr) ? ' (kernel headers missing: apt-get install linux-libc-dev)' : '';
      throw new Error(`not measured: the eBPF programs do not compile with ${clang}${hint}: ${firstError(r.stderr)}`);
    }
    renameSync(tmp, object);
  }
  if (!existsSync(loader)) {
    const tmp = `${loader}.${process.pid}.tmp`;
    const cc = process.env.CC || 'cc';
    const r = await exec(cc, ['-O2', '-Wall', '-o', tmp, loaderSrc, '-lbpf', '-lpthread']);
    if (r.missing) throw new Error(`not measured: no C compiler '${cc}' for the loader (apt-get install gcc libc6-dev)`);
    if (r.code !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`not measured: the loader does not build (libbpf missing? apt-get install libbpf-dev): ${firstError(r.stderr)}`);
    }
    renameSync(tmp, loader);
  }
  const libbpf = await exec('pkg-config', ['--modversion', 'libbpf']);
  return { hook, object, loader, tools: `${hook} programs, clang ${clangVersion}, libbpf ${libbpf.code === 0 ? libbpf.stdout.trim() : '?'}` };
}

export interface KernelRun {
  wallNs: number;
  count: number;
  /** The kernel's own mean ns per program run, per CPU (it leaves out time the thread was scheduled away). */
  nsPerRun: number[];
}

/** One loader process with the object loaded; runs are queued one at a time. */
export class KernelLoader {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | Error) => void)[] = [];
  private dead: Error | null = null;
  private stderr = '';
  /** The kernel's possible CPUs, once ready. */
  possibleCpus = 0;

  private constructor(build: KernelBuild) {
    this.proc = spawn(build.loader, [build.object], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    const die = (why: string) => {
      this.dead = new Error(`the kernel reference loader ${why}${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`);
      for (const w of this.waiting.splice(0)) w(this.dead);
    };
    this.proc.on('error', (e) => die(`failed: ${e.message}`));
    this.proc.on('exit', (code, sig) => die(`exited (${sig ?? code})`));
  }

  private next(): Promise<string> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.waiting.push((l) => (l instanceof Error ? reject(l) : resolve(l))));
  }

  /** Start the loader and load the programs; a refusal (no bpf() permission, old kernel) throws one line. */
  static async start(build: KernelBuild): Promise<KernelLoader> {
    const l = new KernelLoader(build);
    let first: string;
    try {
      first = await l.next();
    } catch (e) {
      throw new Error(`not measured: ${(e as Error).message}`);
    }
    const m = /^ready (\d+)$/.exec(first);
    if (!m) {
      await l.close();
      const errno = /^err (\d+)/.exec(first)?.[1];
      const perm = errno === '1' || errno === '13' ? ' (bpf() needs root or CAP_BPF + CAP_PERFMON)' : '';
      throw new Error(`not measured: the kernel refused the eBPF programs${perm}: ${first.replace(/^err \d+ /, '')}${l.stderr ? ` — ${l.stderr.trim().split('\n').slice(-1)[0]}` : ''}`);
    }
    l.possibleCpus = Number(m[1]);
    return l;
  }

  /** Run a program `repeat` times on each of `cpus` at once; the counter is zeroed first. */
  async run(program: KernelProgram, cpus: readonly number[], repeat: number): Promise<KernelRun> {
    const answer = this.next();
    this.proc.stdin.write(`run ${program} ${KERNEL_PROGRAMS[program]} ${cpus.join(',')} ${repeat}\n`);
    const line = await answer;
    const parts = line.split(' ');
    if (parts[0] !== 'ok') throw new Error(`kernel reference: ${program} on CPUs ${cpus.join(',')}: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
    return { wallNs: Number(parts[1]), count: Number(parts[2]), nsPerRun: parts.slice(3).map(Number) };
  }

  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end();
    await exited;
  }
}

/** The kernel's CPUs this process may run on (taskset / cgroup limits apply to the loader's threads too). */
export function allowedCpus(): number[] {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1];
    if (!list) return [];
    const out: number[] = [];
    for (const part of list.trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a!; c <= (b ?? a!); c++) out.push(c);
    }
    return out;
  } catch {
    return [];
  }
}
