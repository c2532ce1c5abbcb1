// Map operations from handlers, one program per map type, one probe per operation. Each event
// works on key (event number mod 1024), so a run walks the whole map instead of hitting one
// element; hash maps are filled with every key before the run (see suite.ts).
//
//   kprobe/lookup   bpf_map_lookup_elem                        array, percpu_array, (lru_)(percpu_)hash
//   kprobe/update   bpf_map_update_elem(BPF_ANY), an existing key
//   kprobe/delete   bpf_map_delete_elem then bpf_map_update_elem back (hash types: two ops per event)
//   kprobe/pushpop  bpf_map_push_elem then bpf_map_pop_elem     queue, stack
//   kprobe/push     bpf_map_push_elem (add to the set)          bloom_filter
//   kprobe/peek     bpf_map_peek_elem (test membership)         bloom_filter
//   kprobe/evict    bpf_map_update_elem of a new key into a full map (LRU types: every update
//                   inserts and evicts): keys taken in turn from 1 Mi keys per CPU, 64 Ki entries
//   kprobe/reserve  bpf_ringbuf_reserve(8) then bpf_ringbuf_submit, to a consuming coordinator
//   kprobe/output   bpf_ringbuf_output of 8 bytes, to a consuming coordinator
//   kprobe/lookup   lpm_trie: the longest prefix of a /32 address among 1024 /24 routes
//   kprobe/update   lpm_trie: replace one of the routes (a new node published, the old one freed)
//   kprobe/tailcall bpf_tail_call into slot 0 of a prog array, whose program returns   prog_array
//   kprobe/output   bpf_perf_event_output of 8 bytes into this CPU's perf ring, to a consuming coordinator
//   kprobe/lookup   array_of_maps, hash_of_maps: the outer lookup, then a lookup in the inner map
//
// The kernel's side of every row is the same operation as an eBPF program, in src/bench/kernel/
// map-ops.bpf.c (the maps of maps' in map-ops-of-maps.bpf.c); kernelMapRow says which program and
// what its loader does first.

import { defineProgram, type Handler, type ProbeContext, type Program } from '../../cpu/program.js';
import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_peek_elem, bpf_map_pop_elem, bpf_map_push_elem, bpf_map_update_elem } from '../../maps/helpers.js';
import { bpf_ringbuf_output, bpf_ringbuf_reserve, bpf_ringbuf_submit } from '../../maps/ringbuf-helpers.js';
import { bpf_tail_call } from '../../maps/tail-call.js';
import { bpf_perf_event_output } from '../../maps/bpf-trace.js';
import { BPF_F_CURRENT_CPU, BPF_F_NO_PREALLOC } from '../../maps/uapi.js';
import { struct, u64 } from '../../maps/layout.js';
import { declareMap, type BpfMap } from '../../maps/syscall.js';
import { BPF_ANY, type MapTypeName } from '../../maps/uapi.js';

export const KEYS = 1024;
const MASK = KEYS - 1;
/** The eviction rows' map: 64 Ki entries, fed 1 Mi distinct keys per CPU in turn. */
export const EVICT_ENTRIES = 1 << 16;
const EVICT_KEY_BITS = 20;
export const Value = struct({ val: u64 });
/** The ring buffer's size: 1 MiB, room for 64k records of 8 bytes (16 with the header). */
export const RINGBUF_BYTES = 1 << 20;

export type MapOpsType = Extract<MapTypeName, 'array' | 'percpu_array' | 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash' | 'queue' | 'stack' | 'bloom_filter' | 'ringbuf' |
  'lpm_trie' | 'prog_array' | 'perf_event_array' | 'array_of_maps' | 'hash_of_maps'>;

export type MapOp = 'lookup' | 'update' | 'delete' | 'evict' | 'pushpop' | 'push' | 'peek' | 'reserve' | 'output' | 'tailcall';

/** Which operations each map type gets a row for. */
export const MAP_OPS: Record<MapOpsType, readonly MapOp[]> = {
  array: ['lookup', 'update'],
  percpu_array: ['lookup', 'update'],
  hash: ['lookup', 'update', 'delete'],
  percpu_hash: ['lookup', 'update', 'delete'],
  lru_hash: ['lookup', 'update', 'evict'],
  lru_percpu_hash: ['lookup', 'update', 'evict'],
  queue: ['pushpop'],
  stack: ['pushpop'],
  bloom_filter: ['push', 'peek'],
  ringbuf: ['reserve', 'output'],
  lpm_trie: ['lookup', 'update'],
  prog_array: ['tailcall'],
  perf_event_array: ['output'],
  array_of_maps: ['lookup'],
  hash_of_maps: ['lookup'],
};

/**
 * The kernel column's program for a map row, and what has to happen before it runs. The kernel's
 * loader (sides/kernel.ts) and the object column (sides/object.ts, the same objects on our CPUs)
 * both follow it, as the handler's suite (sides/ours.ts) does the same for our program.
 */
export interface KernelMapRow {
  /** The source in src/bench/kernel/ (<object>.bpf.c) and the program in it. */
  object: 'map-ops' | 'map-ops-of-maps';
  program: string;
  /**
   * A map to fill before the first run, as the loader's `fill` does: every key 0..KEYS-1 (hash
   * types), every value 0..KEYS-1 (bloom filter), every route routeKey(i, 24) (LPM trie).
   */
  fill: string | null;
  /** Placements before the first run: [prog array or map of maps, key, program or inner map]. */
  place: readonly (readonly [string, number, string])[];
  /** A ring buffer or perf event array the coordinator consumes while the programs run. */
  consume: string | null;
  /** What the program returns when it did the row's job (a tail call made, a route found), checked each run; null: not checked. */
  returns: number | null;
}

export function kernelMapRow(map: MapOpsType, op: MapOp): KernelMapRow {
  const row: KernelMapRow = { object: 'map-ops', program: `${map}_${op}`, fill: null, place: [], consume: null, returns: null };
  switch (map) {
    case 'hash': case 'percpu_hash': case 'lru_hash': case 'lru_percpu_hash':
      return { ...row, fill: op === 'evict' ? null : map };
    case 'bloom_filter':
      return { ...row, fill: op === 'peek' ? map : null };
    case 'ringbuf':
      return { ...row, consume: map };
    case 'lpm_trie':
      // A lookup finds its address's route (1); an update replaces a route (0).
      return { ...row, fill: map, returns: op === 'lookup' ? 1 : 0 };
    case 'prog_array':
      // 0: the tail call reached the target; 1 would be a fall-through past an empty slot.
      return { ...row, place: [[map, 0, 'prog_array_target']], returns: 0 };
    case 'perf_event_array':
      // 0: the sample was written (or lost to a full ring, which the consumer's count shows).
      return { ...row, consume: map, returns: 0 };
    case 'array_of_maps': case 'hash_of_maps':
      // 1: the inner map was there and held the key; 2 would be an empty outer slot.
      return { ...row, object: 'map-ops-of-maps', place: [[map, 0, 'inner0'], [map, 1, 'inner1']], returns: 1 };
    default:
      return row;
  }
}

/** Pages per CPU of a perf event array's rings on `cpus` CPUs: 1 MiB in all, as the ring buffer's one ring (a power of two). */
export function perfPages(cpus: number): number {
  return Math.max(1, 2 ** Math.floor(Math.log2(256 / cpus)));
}

/** An LPM key for route i (of KEYS): 10.<i >> 8>.<i & 255>.0/24, or an address in it (/32). */
export function routeKey(i: number, len: 24 | 32, out = new Uint8Array(8)): Uint8Array {
  out[0] = len;
  out[4] = 10;
  out[5] = (i >>> 8) & 0xff;
  out[6] = i & 0xff;
  out[7] = len === 32 ? 77 : 0;
  return out;
}

/** Lookups found (read by nobody: it keeps the lookup's result alive). */
export let hits = 0;

export function mapOpsProgram(type: MapOpsType): Program {
  switch (type) {
    case 'lpm_trie': return lpmProgram();
    case 'prog_array': return tailCallProgram();
    case 'perf_event_array': return perfOutputProgram();
    case 'array_of_maps': case 'hash_of_maps': return mapInMapProgram(type);
  }
  if (type === 'ringbuf') {
    const rb = declareMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: RINGBUF_BYTES, name: 'rb' });
    const record = new Uint8Array(8);
    const word = new Uint32Array(record.buffer);
    return defineProgram({
      name: 'ops-ringbuf',
      maps: { rb },
      handlers: {
        'kprobe/reserve'(ctx: ProbeContext) {
          const rec = bpf_ringbuf_reserve(rb, 8, 0);
          if (rec === null) return 0; // no room: a drop, counted by the map
          rec.setU64(0, ctx.index);
          bpf_ringbuf_submit(rec, 0);
          return 0;
        },
        'kprobe/output'(ctx: ProbeContext) {
          word[0] = ctx.index;
          bpf_ringbuf_output(rb, record, 0); // no room: a drop, counted by the map
          return 0;
        },
      },
    });
  }
  if (type === 'bloom_filter') {
    const bf = declareMap({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: KEYS, name: 'bf' });
    const value = new Uint8Array(4);
    const word = new Uint32Array(value.buffer);
    return defineProgram({
      name: 'ops-bloom-filter',
      maps: { bf },
      handlers: {
        'kprobe/push'(ctx: ProbeContext) {
          word[0] = ctx.index & MASK;
          bpf_map_push_elem(bf, value, BPF_ANY);
          return 0;
        },
        'kprobe/peek'(ctx: ProbeContext) {
          word[0] = ctx.index & MASK;
          if (bpf_map_peek_elem(bf, value) === 0) hits++;
          return 0;
        },
      },
    });
  }
  if (type === 'queue' || type === 'stack') {
    const q = declareMap({ type, keySize: 0, valueSize: 8, maxEntries: KEYS, name: 'q' });
    const value = new Uint8Array(8);
    const out = new Uint8Array(8);
    return defineProgram({
      name: `ops-${type}`,
      maps: { q },
      handlers: {
        'kprobe/pushpop'() {
          bpf_map_push_elem(q, value, BPF_ANY);
          bpf_map_pop_elem(q, out);
          return 0;
        },
      },
    });
  }
  const m = declareMap({ type, keySize: 4, valueSize: Value.size, maxEntries: KEYS, name: 'm', value: Value });
  const value = new Uint8Array(Value.size);
  const handlers: Record<string, Handler> = {
    'kprobe/lookup'(ctx: ProbeContext) {
      if (bpf_map_lookup_elem(m, ctx.index & MASK) !== null) hits++;
      return 0;
    },
    'kprobe/update'(ctx: ProbeContext) {
      bpf_map_update_elem(m, ctx.index & MASK, value, BPF_ANY);
      return 0;
    },
  };
  const maps: Record<string, BpfMap> = { m };
  if (type === 'lru_hash' || type === 'lru_percpu_hash') {
    const evict = declareMap({ type, keySize: 4, valueSize: Value.size, maxEntries: EVICT_ENTRIES, name: 'evict', value: Value });
    maps.evict = evict;
    handlers['kprobe/evict'] = (ctx: ProbeContext) => {
      bpf_map_update_elem(evict, ((ctx.cpu << EVICT_KEY_BITS) | (ctx.index & ((1 << EVICT_KEY_BITS) - 1))) >>> 0, value, BPF_ANY);
      return 0;
    };
  }
  if (type === 'hash' || type === 'percpu_hash') {
    handlers['kprobe/delete'] = (ctx: ProbeContext) => {
      const key = ctx.index & MASK;
      bpf_map_delete_elem(m, key);
      bpf_map_update_elem(m, key, value, BPF_ANY);
      return 0;
    };
  }
  return defineProgram({ name: `ops-${type}`, maps, handlers });
}

function lpmProgram(): Program {
  const m = declareMap({ type: 'lpm_trie', keySize: 8, valueSize: Value.size, maxEntries: KEYS, flags: BPF_F_NO_PREALLOC, name: 'm', value: Value });
  const addr = new Uint8Array(8);
  const route = new Uint8Array(8);
  const value = new Uint8Array(Value.size);
  return defineProgram({
    name: 'ops-lpm-trie',
    maps: { m },
    handlers: {
      'kprobe/lookup'(ctx: ProbeContext) {
        if (bpf_map_lookup_elem(m, routeKey(ctx.index & MASK, 32, addr)) !== null) hits++;
        return 0;
      },
      'kprobe/update'(ctx: ProbeContext) {
        bpf_map_update_elem(m, routeKey(ctx.index & MASK, 24, route), value, BPF_ANY);
        return 0;
      },
    },
  });
}

function tailCallProgram(): Program {
  const m = declareMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1, name: 'm' });
  return defineProgram({
    name: 'ops-prog-array',
    maps: { m },
    handlers: {
      'kprobe/tailcall'(ctx: ProbeContext) {
        return bpf_tail_call(ctx, m, 0) ?? 1;
      },
      // The target (placed in slot 0 by the suite's setup).
      'kprobe/target'() {
        hits++;
        return 0;
      },
    },
  });
}

function perfOutputProgram(): Program {
  const m = declareMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 128, name: 'm' });
  const record = new Uint8Array(8);
  const word = new Uint32Array(record.buffer);
  return defineProgram({
    name: 'ops-perf-event-array',
    maps: { m },
    handlers: {
      'kprobe/output'(ctx: ProbeContext) {
        word[0] = ctx.index;
        // -ENOSPC when this CPU's ring is full: a sample lost, counted by the ring.
        bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, record);
        return 0;
      },
    },
  });
}

/** The outer map holds two inner arrays of KEYS values (placed by the suite); each event looks through one of them. */
export const INNER_MAPS = 2;

function mapInMapProgram(type: 'array_of_maps' | 'hash_of_maps'): Program {
  const m = declareMap({
    type, keySize: 4, valueSize: 4, maxEntries: INNER_MAPS, name: 'm',
    innerMap: { type: 'array', keySize: 4, valueSize: Value.size, maxEntries: KEYS },
  });
  return defineProgram({
    name: `ops-${type.replace(/_/g, '-')}`,
    maps: { m },
    handlers: {
      'kprobe/lookup'(ctx: ProbeContext) {
        const inner = bpf_map_lookup_elem(m, ctx.index & (INNER_MAPS - 1)) as unknown as BpfMap | null;
        if (inner !== null && bpf_map_lookup_elem(inner, ctx.index & MASK) !== null) hits++;
        return 0;
      },
    },
  });
}
