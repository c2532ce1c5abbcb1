// The sys_clone counter in a PERCPU_ARRAY: each CPU increments its own slot with a plain add, no
// lock, no atomic, no shared cache line; user space sums the CPUs' slots when it reads.

import { defineProgram } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';

export const Elem = struct({ cnt: u64 });

const counter = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem });

export default defineProgram({
  name: 'percpu',
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
