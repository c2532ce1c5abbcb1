// The seed article's program (seed.bpf.c: its lines as printed, plus the declarations it leaves
// out), compiled by clang and run unchanged on simulated CPUs: the spin-locked sys_clone counter
// and its bpf_trace_printk line, with why each part behaves as it does.

import type { Runtime } from '../../cpu/runtime.js';
import { sourceFile } from '../../cpu/module-url.js';
import { kernelAvailability, openObjectFile, verifyInKernel, type KernelVerdict } from '../../object/index.js';

/** The compiled object, and its source beside it. */
export const SEED_OBJECT = sourceFile(import.meta.url, './seed.bpf.o');
export const SEED_SOURCE = sourceFile(import.meta.url, './seed.bpf.c');
export const SEED_PROBE = 'kprobe/sys_clone';

export interface SeedResult {
  cpus: number;
  events: number;
  /** The counter's `cnt` after the run: every event counted once, thanks to the lock. */
  count: number;
  /** The return values of the events (the program returns 0). */
  returns: { value: number; count: number }[];
  /** bpf_trace_printk's lines, in trace_pipe format. */
  trace: string[];
}

/** Run the seed's program for `events` events over the runtime's CPUs. */
export async function runSeed(rt: Runtime, events: number): Promise<SeedResult> {
  const seed = await rt.loadObject(SEED_OBJECT);
  try {
    rt.readTrace();
    const r = await rt.run({ probe: SEED_PROBE, events, source: { comm: 'bash', pidBase: 4242, pids: 1 } });
    // struct elem { int cnt; struct bpf_spin_lock lock; }: the legacy map has no BTF, so its value is bytes.
    const value = seed.maps.counter!.lookup(0);
    const count = new DataView(value.buffer, value.byteOffset).getInt32(0, true);
    return { cpus: rt.cpus, events: r.events, count, returns: r.returns ?? [], trace: rt.readTrace() };
  } finally {
    await seed.unload();
  }
}

/** What the live kernel says of the seed object, or why it was not asked. */
export type SeedKernel = { asked: true; verdict: KernelVerdict } | { asked: false; why: string };

/**
 * Hand the same object to the live kernel's verifier (--verify kernel): through raw BPF_PROG_LOAD,
 * since libbpf 1.x refuses its legacy SEC("maps"). Not asked where the kernel cannot be (the reason).
 */
export async function askKernelAboutSeed(): Promise<SeedKernel> {
  const a = await kernelAvailability();
  if (!a.ok) return { asked: false, why: a.reason };
  return { asked: true, verdict: await verifyInKernel(openObjectFile(SEED_OBJECT)) };
}

/** Why the run looks as it does: the lines under the demo's output. */
export const SEED_EXPLAIN = [
  'The count is exact: bpf_spin_lock lets one CPU at a time into val->cnt++.',
  'The trace starts at the 20th event: libbpf declares bpf_trace_printk(const char *fmt, __u32 fmt_size, ...), ' +
    'so the article\'s bpf_trace_printk("sys_clone count: %d", val->cnt) passes the count as fmt_size and no ' +
    'argument for %d. The helper looks for the format\'s NUL within fmt_size bytes (kernel/bpf/helpers.c, ' +
    'bpf_bprintf_prepare); "sys_clone count: %d" is 19 characters and its NUL, so while the count is below 20 the ' +
    'helper returns -EINVAL and prints nothing, and from 20 on it prints the format with %d reading r3, which the ' +
    'program never set (0 here; on a kernel, whatever the register held). libbpf\'s bpf_printk() macro passes ' +
    'sizeof(fmt) and is the form that works.',
  'A real kernel would not run it: libbpf 1.0 and later refuse the legacy SEC("maps") definition; a map defined ' +
    'without BTF cannot hold a bpf_spin_lock; the verifier refuses bpf_spin_lock in kprobe programs ("tracing progs ' +
    'cannot use bpf_spin_lock yet") and a fmt_size it cannot bound ("R2 min value is negative"); and the kprobe ' +
    'would attach to __x64_sys_clone, not sys_clone, on a kernel built with CONFIG_KPROBES.',
];
