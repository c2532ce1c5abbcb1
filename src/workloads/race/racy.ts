// The sys_clone counter without any protection: `val->cnt++` on a shared ARRAY element, a load and
// a store that another CPU can slip between. It loses updates as soon as two CPUs run it.

import { defineProgram } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u32 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { READ_ONCE, WRITE_ONCE } from '../../sync/atomics.js';

export const Elem = struct({ cnt: u32 });
const cnt = Elem.fields.cnt;

const counter = declareMap({ type: 'array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem });

export default defineProgram({
  name: 'racy',
  maps: { counter },
  handlers: {
    'kprobe/sys_clone'() {
      const val = bpf_map_lookup_elem(counter, 0);
      if (val === null) return 0;
      // val->cnt++ : read, add, write back; nothing stops another CPU in between.
      WRITE_ONCE(val, cnt, READ_ONCE(val, cnt) + 1);
      return 0;
    },
  },
});
