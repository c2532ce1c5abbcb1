// The race lab's per-CPU counter with a chosen slab stride, for the false-sharing rows of the
// benchmark: with slabAlign 8 the CPUs' slots sit side by side in one cache line; 64 gives each
// CPU its own line; 128 its own pair of lines (the adjacent-line prefetcher's unit).
//
// The atomic variant adds with __sync_fetch_and_add on the CPU's own slot (a locked add, as
// ebpf_exporter's per-CPU counters did before their _nosync variants): a plain increment hides
// false sharing in the store buffer, a locked one pays for every line the other CPU took away.
// Its count is a u32 so the add is one Atomics.add on an Int32Array lane (a u64 would go
// through BigInt, a cost that has nothing to do with sharing).

import { defineProgram, type Program } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u32, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { __sync_fetch_and_add } from '../../sync/atomics.js';

export const Elem = struct({ cnt: u64 });
export const Elem32 = struct({ cnt: u32 });

export function percpuCounter(slabAlign: 8 | 64 | 128): Program {
  const counter = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem, slabAlign });
  return defineProgram({
    name: `percpu-${slabAlign}`,
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

export function percpuAtomicCounter(slabAlign: 8 | 64 | 128): Program {
  const counter = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Elem32.size, maxEntries: 1, name: 'counter', value: Elem32, slabAlign });
  const cnt = Elem32.fields.cnt;
  return defineProgram({
    name: `percpu-atomic-${slabAlign}`,
    maps: { counter },
    handlers: {
      'kprobe/sys_clone'() {
        const val = bpf_map_lookup_elem(counter, 0);
        if (val === null) return 0;
        __sync_fetch_and_add(val, cnt, 1);
        return 0;
      },
    },
  });
}
