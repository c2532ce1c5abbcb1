// The seed's program: struct elem { int cnt; struct bpf_spin_lock lock; } in a one-entry ARRAY,
// and lock / cnt++ / unlock around the increment. Exact; the lock is the price.
//
// As written in the seed it would not load into a real kernel: a kprobe program may not use a map
// whose value holds a bpf_spin_lock ("tracing progs cannot use bpf_spin_lock yet"), and before
// Linux 6.13 the lookup's result had to be checked for NULL. This version keeps the NULL check and
// the lock; the program-type rule is enforced only with --verifier (src/cpu/verifier.ts).

import { defineProgram } from '../../cpu/program.js';
import { bpf_map_lookup_elem, bpf_trace_printk } from '../../maps/helpers.js';
import { bpf_spin_lock, struct, u32 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';
import { bpf_spin_unlock } from '../../sync/spinlock.js';

export const Elem = struct({ cnt: u32, lock: bpf_spin_lock });
export const Config = struct({ trace: u32 });

const counter = declareMap({ type: 'array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'counter', value: Elem });
/** Read-only settings the loader fills before the run (libbpf's `const volatile` .rodata). */
const rodata = declareMap({ type: 'array', keySize: 4, valueSize: Config.size, maxEntries: 1, name: 'spinlock.rodata', value: Config });

export default defineProgram({
  name: 'spinlock',
  maps: { counter, rodata },
  handlers: {
    'kprobe/sys_clone'() {
      const val = bpf_map_lookup_elem(counter, 0);
      if (val === null) return 0;
      bpf_spin_lock(val.lock);
      val.cnt++;
      const cnt = val.cnt;
      bpf_spin_unlock(val.lock);
      const cfg = bpf_map_lookup_elem(rodata, 0);
      if (cfg !== null && cfg.trace !== 0) bpf_trace_printk('sys_clone count: %d', cnt);
      return 0;
    },
  },
});
