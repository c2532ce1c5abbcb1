// Benchmark program: every event updates an 8-byte value in an LRU hash of 64 Ki entries, keys
// taken in turn from 1 Mi keys per CPU (so nearly every update inserts and evicts). One map and
// probe per LRU flavour: the common LRU, and per-CPU lists (BPF_F_NO_COMMON_LRU).
import { defineProgram, type ProbeContext } from '../../src/cpu/program.js';
import { bpf_map_update_elem } from '../../src/maps/helpers.js';
import { declareMap, type BpfMap } from '../../src/maps/syscall.js';
import { BPF_ANY, BPF_F_NO_COMMON_LRU } from '../../src/maps/uapi.js';

const MAX_ENTRIES = 1 << 16;
const lru = declareMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES, name: 'lru' });
const lruPercpuLists = declareMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES, name: 'lru_pcpu_lists', flags: BPF_F_NO_COMMON_LRU });
const value = new Uint8Array(8);

function update(map: BpfMap, ctx: ProbeContext): number {
  value[0] = ctx.index & 0xff;
  return bpf_map_update_elem(map, ((ctx.cpu << 20) | (ctx.index & 0xfffff)) >>> 0, value, BPF_ANY);
}

export default defineProgram({
  name: 'lru-update',
  maps: { lru, lruPercpuLists },
  handlers: {
    'kprobe/update'(ctx) { update(lru, ctx); return 0; },
    'kprobe/update_percpu_lists'(ctx) { update(lruPercpuLists, ctx); return 0; },
  },
});
