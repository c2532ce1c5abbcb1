// The sys_clone counter in a PERCPU_ARRAY: each CPU increments its own slot with a plain add, no
// lock, no atomic, no shared cache line; user space sums the CPUs' slots when it reads.

import { defineProgram, type Program } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';

export const Elem = struct({ cnt: u64 });

/**
 * The counter, with each CPU's slab starting `slabAlign` bytes after the previous one: 128 (the
 * default) gives each CPU its own pair of cache lines (the adjacent-line prefetcher's unit), 64
 * its own line, and 8 puts the CPUs' slots side by side in one line (the benchmark's
 * false-sharing rows).
 */
export function percpuCounter(name = 'percpu', slabAlign: 8 | 64 | 128 = 128): Program {
  const counter = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem, slabAlign });
  return defineProgram({
    name,
    maps: { counter },
    handlers: {
      'kprobe/sys_clone'() {
        const val = bpf_map_lookup_elem(counter, 0);
        if (val === null) return 0;
        val.cnt += 1;
        return 0;
      },
    },
  });
}

export default percpuCounter();
