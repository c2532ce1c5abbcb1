// Stress program: lock / move an amount from a to b / count / unlock on one ARRAY value. a + b is
// always TOTAL under the lock; user space checks it with BPF_F_LOCK reads during the run. A tc
// program: the kernel allows bpf_spin_lock there.
import { defineProgram } from '../../../src/cpu/program.js';
import { bpf_map_lookup_elem } from '../../../src/maps/helpers.js';
import { bpf_spin_lock, s32, struct, u32 } from '../../../src/maps/layout.js';
import { declareMap } from '../../../src/maps/syscall.js';
import { bpf_spin_unlock } from '../../../src/sync/spinlock.js';

export const Pair = struct({ lock: bpf_spin_lock, a: s32, b: s32, n: u32 });
export const TOTAL = 1_000_000;

const pair = declareMap({ type: 'array', keySize: 4, valueSize: Pair.size, maxEntries: 1, name: 'pair', value: Pair });

export default defineProgram({
  maps: { pair },
  handlers: {
    'tc/pair'(ctx) {
      const v = bpf_map_lookup_elem(pair, 0);
      if (v === null) return 0;
      const d = (ctx.index & 15) - 7;
      bpf_spin_lock(v.lock);
      v.a -= d;
      v.b += d;
      v.n += 1;
      bpf_spin_unlock(v.lock);
      return 0;
    },
  },
});
