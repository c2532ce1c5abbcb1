// Small helpers shared by the map test files.

import { BpfError } from '../src/index.js';

/** The errno name a call fails with, or 'ok' when it does not fail (other errors are rethrown). */
export function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e.errno;
    throw e;
  }
  return 'ok';
}

/** A u32 as 4 little-endian bytes. */
export const le32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/**
 * Where a committed eBPF object is: test/objects/<file>, except the seed article's program, which
 * ships as a workload (src/workloads/seed/seed.bpf.o).
 */
export function objectUrl(file: string): URL {
  return file === 'seed.bpf.o'
    ? new URL('../src/workloads/seed/seed.bpf.o', import.meta.url)
    : new URL(`./objects/${file}`, import.meta.url);
}
