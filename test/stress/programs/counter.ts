// Stress program for the memory cycles: a per-CPU counter.
import { defineProgram } from '../../../src/cpu/program.js';
import { bpf_map_lookup_elem } from '../../../src/maps/helpers.js';
import { struct, u64 } from '../../../src/maps/layout.js';
import { declareMap } from '../../../src/maps/syscall.js';

const C = struct({ n: u64 });
const counter = declareMap({ type: 'percpu_array', keySize: 4, valueSize: C.size, maxEntries: 1, name: 'counter', value: C });

export default defineProgram({
  maps: { counter },
  handlers: {
    'tc/count'() {
      const v = bpf_map_lookup_elem(counter, 0);
      if (v !== null) v.n += 1;
    },
  },
});
