// Benchmark program: every event updates an 8-byte value in an LRU hash of 64 Ki entries with per-CPU lists (BPF_F_NO_COMMON_LRU), keys
// taken in turn from 1 Mi keys per CPU (so nearly every update inserts and evicts).
import { defineProgram } from '../../src/cpu/program.js';
import { bpf_map_update_elem } from '../../src/maps/helpers.js';
import { declareMap } from '../../src/maps/syscall.js';
import { BPF_ANY, BPF_F_NO_COMMON_LRU } from '../../src/maps/uapi.js';

export const MAX_ENTRIES = 1 << 16;
const lru = declareMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES, name: 'lru', flags: BPF_F_NO_COMMON_LRU });
const value = new Uint8Array(8);

export default defineProgram({
  name: 'lru-update-percpu',
  maps: { lru },
  handlers: {
    'kprobe/update'(ctx) {
      value[0] = ctx.index & 0xff;
      bpf_map_update_elem(lru, ((ctx.cpu << 20) | (ctx.index & 0xfffff)) >>> 0, value, BPF_ANY);
      return 0;
    },
  },
});
