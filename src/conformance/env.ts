// Can this machine play scenarios on the live kernel? Each reason it cannot is one line that says
// what is missing and how to get it, never a stack trace.

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { run } from './bpftool.js';
import { buildHelper } from './native.js';

export const BPFFS = '/sys/fs/bpf';
/** Our pins in bpffs: <prefix><pid>_<n>. */
export const PIN_PREFIX = 'percpu_maps_conf_';
const MIN_BPFTOOL: readonly [number, number] = [5, 10];

export interface KernelEnv {
  /** uname -r */
  kernel: string;
  /** The kernel's possible CPUs (/sys/devices/system/cpu/possible): the width of per-CPU values. */
  cpus: number;
  bpftoolBin: string;
  bpftoolVersion: string;
  helperBin: string;
}

export type Probe = { ok: true; env: KernelEnv } | { ok: false; reason: string };

/** Count the CPUs of a list such as "0-1" or "0-3,8-11". */
export function parseCpuList(text: string): number {
  let n = 0;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`cannot read the CPU list '${text.trim()}'`);
    n += (m[2] === undefined ? 0 : Number(m[2]) - Number(m[1])) + 1;
  }
  return n;
}

export function possibleCpus(): number {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
}

/** bpftool on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function findBpftool(): string {
  if (process.env.BPFTOOL) return process.env.BPFTOOL;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/local/sbin'])) {
    if (dir && existsSync(join(dir, 'bpftool'))) return join(dir, 'bpftool');
  }
  return 'bpftool';
}

/** Remove pins left by runs that died (their pid is gone). */
export function sweepStalePins(): void {
  let names: string[];
  try {
    names = readdirSync(BPFFS);
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${PIN_PREFIX}(\\d+)_`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive || pid === process.pid) rmSync(join(BPFFS, name), { force: true });
  }
}

const cached = new Map<string, Promise<Probe>>();

export interface ProbeOptions {
  /** The bpftool to use (default: $BPFTOOL, then PATH, then /usr/sbin). */
  bpftool?: string;
}

/** Probe once per process (and bpftool): bpftool, bpffs, permission, taskset, the native helper. */
export function probeKernel(options: ProbeOptions = {}): Promise<Probe> {
  const bin = options.bpftool ?? findBpftool();
  let p = cached.get(bin);
  if (!p) {
    p = probe(bin);
    cached.set(bin, p);
  }
  return p;
}

async function probe(bin: string): Promise<Probe> {
  const no = (reason: string): Probe => ({ ok: false, reason });
  if (process.platform !== 'linux') return no(`the live kernel half needs Linux; this is ${process.platform}`);
  let cpus: number;
  try {
    cpus = possibleCpus();
  } catch (e) {
    return no(`cannot read /sys/devices/system/cpu/possible: ${(e as Error).message}`);
  }
  const v = await run(bin, ['-j', 'version']);
  if (v.spawnError?.code === 'ENOENT') return no('bpftool is not installed (Debian/Ubuntu: apt-get install bpftool)');
  if (v.spawnError) return no(`bpftool cannot run: ${v.spawnError.message}`);
  let version = '';
  try {
    version = String((JSON.parse(v.stdout) as { version?: unknown }).version ?? '');
  } catch {
    // Old bpftools have no JSON version output.
  }
  const vm = /^v?(\d+)\.(\d+)/.exec(version);
  if (!vm || Number(vm[1]) < MIN_BPFTOOL[0] || (Number(vm[1]) === MIN_BPFTOOL[0] && Number(vm[2]) < MIN_BPFTOOL[1])) {
    return no(`bpftool ${version || '(unknown version)'} is too old: conformance needs bpftool ${MIN_BPFTOOL.join('.')} or newer`);
  }
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (!mounts.split('\n').some((l) => l.split(' ')[1] === BPFFS && l.split(' ')[2] === 'bpf')) {
    return no(`bpffs is not mounted at ${BPFFS} (mount -t bpf bpf ${BPFFS})`);
  }
  sweepStalePins();
  const pin = join(BPFFS, `${PIN_PREFIX}${process.pid}_probe`);
  const c = await run(bin, ['-j', 'map', 'create', pin, 'type', 'array', 'key', '4', 'value', '4', 'entries', '1', 'name', 'probe']);
  rmSync(pin, { force: true });
  if (c.code !== 0) {
    let msg = c.stdout.trim() || c.stderr.trim();
    try {
      msg = String((JSON.parse(c.stdout) as { error?: unknown }).error ?? msg);
    } catch {
      // not JSON: keep the raw text
    }
    if (/not permitted|permission denied/i.test(msg)) {
      return no(`bpftool may not create maps (${msg}): run as root, or with CAP_BPF and CAP_SYS_ADMIN`);
    }
    return no(`bpftool cannot create a map: ${msg.split('\n')[0]}`);
  }
  const t = await run('taskset', ['-c', '0', 'true']);
  if (t.spawnError || t.code !== 0) return no('taskset is not available (util-linux), so steps cannot be pinned to a CPU');
  let helperBin: string;
  try {
    helperBin = await buildHelper();
  } catch (e) {
    return no((e as Error).message);
  }
  return { ok: true, env: { kernel: release(), cpus, bpftoolBin: bin, bpftoolVersion: version.replace(/^v/, ''), helperBin } };
}
