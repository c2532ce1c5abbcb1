// The sys_clone counter with an atomic add: __sync_fetch_and_add(&val->cnt, 1), a BPF_ATOMIC
// instruction. Exact, but every CPU fights for the same cache line.

import { defineProgram } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u32 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { __sync_fetch_and_add } from '../../sync/atomics.js';

export const Elem = struct({ cnt: u32 });
const cnt = Elem.fields.cnt;

const counter = declareMap({ type: 'array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem });

export default defineProgram({
  name: 'atomic',
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
