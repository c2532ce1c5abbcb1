// The kernel reference: the race lab's counters and every map operation of the `map` rows as real
// eBPF programs (kernel/counters.bpf.c, kernel/map-ops.bpf.c, and the maps of maps' rows in
// kernel/map-ops-of-maps.bpf.c, beside this file), built with clang
// for the BPF target and run by our libbpf loader (kernel/loader.c) through BPF_PROG_TEST_RUN on
// several CPUs at once; the loader also times user-space calls through bpf(2). All are built at
// bench time into .native/bench-kernel/ (gitignored), keyed by a hash of their sources. Anything
// missing (clang, libbpf headers, bpf() permission) becomes one line saying what and how to get it.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sourceFile } from '../cpu/module-url.js';
import { exec, firstError, LineProcess, nativeDir } from './native.js';

/** The C sources of the kernel reference, beside this module (src/bench/kernel/, also from dist). */
export const KERNEL_SOURCES = sourceFile(import.meta.url, './kernel/');

/** The eBPF objects the loader loads: the race lab's counters, the map operations, the maps of maps' operations. */
export const KERNEL_OBJECTS = ['counters', 'map-ops', 'map-ops-of-maps'] as const;
export type KernelObject = (typeof KERNEL_OBJECTS)[number];

/** The counter programs and the map each one counts in. */
export const KERNEL_PROGRAMS = {
  racy: 'racy_counter',
  atomic: 'atomic_counter',
  spinlock: 'spinlock_counter',
  percpu: 'percpu_counter',
  percpu_atomic: 'percpu_atomic_counter',
} as const;
export type KernelProgram = keyof typeof KERNEL_PROGRAMS;

/** The Debian multiarch include dir (asm/types.h lives there), which clang -target bpf does not search. */
async function multiarchInclude(): Promise<string[]> {
  const r = await exec('cc', ['-print-multiarch']);
  const triple = r.code === 0 ? r.stdout.trim() : process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : '';
  return triple ? ['-I', `/usr/include/${triple}`] : [];
}

/** The program type the programs are built as: tc (default) or XDP (see counters.bpf.c). */
export type KernelHook = 'tc' | 'xdp';

export interface KernelBuild {
  hook: KernelHook;
  objects: string[];
  loader: string;
  /** e.g. 'tc programs, clang 14.0.6, libbpf 1.1.2' */
  tools: string;
}

/** Build the BPF objects and the loader unless these exact sources were built before. Throws one-line reasons. */
export async function buildKernelReference(hook: KernelHook = 'tc'): Promise<KernelBuild> {
  if (process.platform !== 'linux') throw new Error(`not measured: eBPF needs Linux (this is ${process.platform})`);
  const sources = KERNEL_OBJECTS.map((o) => join(KERNEL_SOURCES, `${o}.bpf.c`));
  const loaderSrc = join(KERNEL_SOURCES, 'loader.c');
  if (![...sources, loaderSrc].every((f) => existsSync(f))) throw new Error(`not measured: the kernel programs' sources are not in this install (${KERNEL_SOURCES}); run from a clone of the repository`);
  const clang = process.env.CLANG || 'clang';
  const version = await exec(clang, ['--version']);
  if (version.missing) throw new Error(`not measured: no clang to build the eBPF programs (Debian: apt-get install clang llvm libbpf-dev)`);
  const clangVersion = /version\s+([\d.]+)/.exec(version.stdout)?.[1] ?? '?';
  const dir = nativeDir('bench-kernel');
  const objects: string[] = [];
  for (const [i, src] of sources.entries()) {
    const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
    const object = join(dir, `${KERNEL_OBJECTS[i]}-${hook}-${hash}.bpf.o`);
    if (!existsSync(object)) {
      const tmp = `${object}.${process.pid}.tmp`;
      const r = await exec(clang, ['-O2', '-g', '-target', 'bpf', ...(hook === 'xdp' ? ['-DBENCH_XDP'] : []), ...(await multiarchInclude()), '-c', src, '-o', tmp]);
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        const hint = /bpf_helpers\.h/.test(r.stderr) ? ' (libbpf headers missing: apt-get install libbpf-dev)' : /asm\/types\.h|linux\/bpf\.h/.test(r.stderr) ? ' (kernel headers missing: apt-get install linux-libc-dev)' : '';
        throw new Error(`not measured: the eBPF programs do not compile with ${clang}${hint}: ${firstError(r.stderr)}`);
      }
      renameSync(tmp, object);
    }
    objects.push(object);
  }
  const loaderHash = createHash('sha256').update(readFileSync(loaderSrc)).digest('hex').slice(0, 12);
  const loader = join(dir, `loader-${loaderHash}`);
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
  return { hook, objects, loader, tools: `${hook} programs, clang ${clangVersion}, libbpf ${libbpf.code === 0 ? libbpf.stdout.trim() : '?'}` };
}

/** The built object of one source (build.objects follows KERNEL_OBJECTS' order). */
export function kernelObject(build: KernelBuild, name: KernelObject): string {
  return build.objects[KERNEL_OBJECTS.indexOf(name)]!;
}

export interface KernelRun {
  wallNs: number;
  /** The counter after the run, or the ring buffer's records consumed; null when the program counts nothing. */
  count: number | null;
  /** The kernel's own mean ns per program run, per CPU (it leaves out time the thread was scheduled away). */
  nsPerRun: number[];
  /** What the program returned on each CPU's last run (BPF_PROG_TEST_RUN's retval, as a signed int). */
  retvals: number[];
}

/** The user-space calls the loader times through bpf(2) (see loader.c). */
export type SysOp = 'lookup' | 'update' | 'delete' | 'get_next_key' | 'lookup-sum' | 'lookup-batch' | 'dump';

/** One loader process with the objects loaded; commands are queued one at a time. */
export class KernelLoader {
  /** The kernel's possible CPUs, once ready. */
  possibleCpus = 0;
  private readonly proc: LineProcess;

  private constructor(proc: LineProcess) {
    this.proc = proc;
  }

  /** Start the loader and load the programs; a refusal (no bpf() permission, old kernel) throws one line. */
  static async start(build: KernelBuild): Promise<KernelLoader> {
    const proc = new LineProcess('the kernel reference loader', build.loader, build.objects);
    let first: string;
    try {
      first = await proc.next();
    } catch (e) {
      throw new Error(`not measured: ${(e as Error).message}`);
    }
    const m = /^ready (\d+)$/.exec(first);
    if (!m) {
      await proc.close();
      const errno = /^err (\d+)/.exec(first)?.[1];
      const perm = errno === '1' || errno === '13' ? ' (bpf() needs root or CAP_BPF + CAP_PERFMON)' : '';
      const tail = proc.stderr.trim().split('\n').slice(-1)[0];
      throw new Error(`not measured: the kernel refused the eBPF programs${perm}: ${first.replace(/^err \d+ /, '')}${tail ? ` — ${tail}` : ''}`);
    }
    const l = new KernelLoader(proc);
    l.possibleCpus = Number(m[1]);
    return l;
  }

  /** Run a program `repeat` times on each of `cpus` at once; a counter map is zeroed first, a ring buffer consumed meanwhile ('-': none). */
  async run(program: string, map: string, cpus: readonly number[], repeat: number): Promise<KernelRun> {
    const line = await this.proc.ask(`run ${program} ${map} ${cpus.join(',')} ${repeat}`);
    const parts = line.split(' ');
    if (parts[0] !== 'ok') throw new Error(`kernel reference: ${program} on CPUs ${cpus.join(',')}: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
    const perCpu = parts.slice(3).map((p) => p.split('/').map(Number));
    return { wallNs: Number(parts[1]), count: parts[2] === '-' ? null : Number(parts[2]), nsPerRun: perCpu.map((p) => p[0]!), retvals: perCpu.map((p) => p[1]!) };
  }

  /** Fill a map of the objects: keys 0..n-1 (hash types), values 0..n-1 (bloom filter), or routes 0..n-1 (LPM trie, see loader.c). */
  async fill(map: string, n: number): Promise<void> {
    const line = await this.proc.ask(`fill ${map} ${n}`);
    if (line !== 'ok') throw new Error(`kernel reference: filling ${map}: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
  }

  /** Place program or map `name` at `key` of a prog array or a map of maps of the objects. */
  async place(map: string, key: number, name: string): Promise<void> {
    const line = await this.proc.ask(`place ${map} ${key} ${name}`);
    if (line !== 'ok') throw new Error(`kernel reference: placing ${name} at key ${key} of ${map}: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
  }

  /** Time `calls` user-space calls through bpf(2) on the loader's own map of that type, pinned to `cpu`. */
  async sys(op: SysOp, type: string, entries: number, calls: number, cpu: number): Promise<{ wallNs: number; events: number }> {
    const line = await this.proc.ask(`sys ${op} ${type} ${entries} ${calls} ${cpu}`);
    const parts = line.split(' ');
    if (parts[0] !== 'ok') throw new Error(`kernel reference: bpf(2) ${op} on a ${type} map: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
    return { wallNs: Number(parts[1]), events: Number(parts[2]) };
  }

  close(): Promise<void> {
    return this.proc.close();
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
