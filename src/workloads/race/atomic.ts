// The sys_clone counter with an atomic add: __sync_fetch_and_add(&val->cnt, 1), a BPF_ATOMIC
// instruction. Exact, but every CPU fights for the same cache line.

import { defineProgram, type Program } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u32 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { __sync_fetch_and_add } from '../../sync/atomics.js';

export const Elem = struct({ cnt: u32 });
const cnt = Elem.fields.cnt;

/**
 * The counter on one ARRAY element shared by every CPU; or, given `percpuSlabAlign`, on each CPU's
 * own slot of a PERCPU_ARRAY whose slabs start that many bytes apart. The per-CPU form is a locked
 * add where none is needed (as ebpf_exporter's per-CPU counters did before their _nosync
 * variants): a plain increment hides false sharing in the store buffer, a locked one pays for
 * every line another CPU took away. The count is a u32, so the add is one Atomics.add on an
 * Int32Array lane (a u64 would go through BigInt, a cost that has nothing to do with sharing).
 */
export function atomicCounter(name = 'atomic', percpuSlabAlign?: 8 | 64 | 128): Program {
  const shape = percpuSlabAlign === undefined ? { type: 'array' } : { type: 'percpu_array', slabAlign: percpuSlabAlign };
  const counter = declareMap({ ...shape, keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem });
  return defineProgram({
    name,
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

export default atomicCounter();
