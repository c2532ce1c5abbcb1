// The helpers a translated program calls, bound to the map code (the kernel's *_func_proto tables:
// a helper id resolved to its implementation). The translator stores r1..r5 in this CPU's helper
// area and calls import `h<id>(pc)`; each binding reads its arguments there, calls the same program
// face the TypeScript handlers use (maps/helpers.ts, maps/ringbuf-helpers.ts), and returns r0's low
// 32 bits (u64 results go to the area's r0 slot). Pointers are addresses in the object's memory:
// a value a lookup returns is its view's address, a value a program passes is read through one
// reusable view retargeted at its address, so the success paths allocate nothing.
//
// Helper area (cpu-areas.ts): r1..r5 at +0..+32, r0 at +40, each a little-endian u64.
//
// Map pointers are descriptor addresses: descBase + i * descBytes for map i. The object's own maps
// are 0..n-1; an inner map a lookup in a map of maps returns gets the next free index on this CPU
// (the object's memory keeps innerDescs spare descriptors), so the program can pass it back to
// any map helper as the kernel's program passes the inner map pointer. A pointer never leaves its
// CPU (the verifier lets no program store one), so the CPUs need not agree on the numbering. The
// translator inlines lookups only for maps known at an ld_imm64; an inner map always comes here.

import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_lookup_percpu_elem, bpf_map_peek_elem, bpf_map_pop_elem,
  bpf_map_push_elem, bpf_map_update_elem } from '../maps/helpers.js';
import { ValueView, type SharedMemory } from '../maps/layout.js';
import { commitRecordAt, ringbufOf, ringbufOutput, ringbufQuery, ringbufReserve, BPF_RINGBUF_HDR_SZ, type RingbufPriv } from '../maps/ringbuf.js';
import type { BpfMap } from '../maps/syscall.js';
import { bprintf, traceLine, type TracePipe } from '../maps/trace-pipe.js';
import { BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_RINGBUF, isMapInMapType, mapTypeName } from '../maps/uapi.js';
import { perfEventOutputRaw } from '../maps/bpf-trace.js';
import { progArraySlot } from '../maps/fd-array.js';
import type { BpfProg } from '../maps/idr.js';
import { EINVAL } from '../maps/errno.js';
import { ktimeGetNs, type CurrentTask } from '../smp/smp.js';
import { FAULT_HELPER_ARG, ProgramFault } from './program-fault.js';

const TWO_32 = 4294967296;

/** What a CPU's helper bindings work on. */
export interface HelperEnv {
  readonly cpu: number;
  /** The whole object memory. */
  readonly mem: SharedMemory;
  /** This CPU's helper area (r1 at +0, r0 at +40). */
  readonly scratch: number;
  /** The object's maps by index; map i's descriptor (what a map pointer holds) is at descBase + i * descBytes. */
  readonly maps: readonly BpfMap[];
  readonly descBase: number;
  /** A power of two. */
  readonly descBytes: number;
  /** Spare descriptors after the object's maps, for inner maps met on this CPU. */
  readonly innerDescs?: number;
  /** The object's name, for messages. */
  readonly object?: string;
  /** The object's MapMemory id: an inner map must have been created in it (MapHandle.memory). */
  readonly memoryId?: number;
  /** An inner map got a descriptor (checked mode adds its values to the region table). */
  readonly onInnerMap?: (map: BpfMap) => void;
  /**
   * bpf_tail_call found `prog` in the slot: 1 when the runtime will run it for this event (the
   * program then returns), 0 when it falls through (MAX_TAIL_CALL_CNT reached); throws a fault
   * for a program it cannot run.
   */
  readonly tailCall?: (prog: BpfProg, pc: number) => number;
  /** Whether the running program has a packet context (tc, xdp, ...): its perf output may append packet bytes. */
  readonly packetProgram?: () => boolean;
  /** The task of the event running now (its index read from the program's `event` global first). */
  task(): CurrentTask;
  readonly trace: () => TracePipe | null;
}

type Binding = (pc: number) => number;

/** The JS imports `h<id>` for the helper ids a program calls. */
export function bindHelpers(env: HelperEnv, ids: readonly number[]): Record<string, Binding> {
  const { mem, scratch } = env;
  const u8 = mem.u8;
  const u32 = mem.u32;
  const a = scratch >>> 2;
  // r1..r5: the low and high words of each argument.
  const lo = (i: number): number => u32[a + 2 * (i - 1)]!;
  const hi = (i: number): number => u32[a + 2 * (i - 1) + 1]!;
  const u64 = (i: number): number => lo(i) + hi(i) * TWO_32;
  const setR0 = (v: number): void => {
    u32[a + 10] = v >>> 0;
    u32[a + 11] = Math.floor(v / TWO_32) >>> 0;
  };
  // One view over the whole memory, pointed at whatever value a program passes.
  const ptr = new ValueView(mem, 0, 0, -1);
  const at = (addr: number, size: number, pc: number): ValueView => {
    inMemory(addr, size, pc);
    ptr._retarget(addr, size);
    return ptr;
  };
  const inMemory = (addr: number, size: number, pc: number): void => {
    if (!(addr >= 4096 && addr + size <= u8.length)) {
      throw new ProgramFault(FAULT_HELPER_ARG, pc, addr, `a helper argument points outside the object's memory (0x${(addr >>> 0).toString(16)}, ${size} bytes)`);
    }
  };
  const { descBase, descBytes } = env;
  const descShift = Math.log2(descBytes);
  // The object's maps, then the inner maps met on this CPU (by descriptor index).
  const maps: BpfMap[] = [...env.maps];
  const descLimit = env.maps.length + (env.innerDescs ?? 0);
  // Each map's key buffer, by map index (a key that is not one number is copied here).
  const keyBufs = maps.map((m) => new Uint8Array(m.attr.keySize));
  // Whether a lookup in map i returns an inner map (a map of maps) rather than a value.
  const outer = maps.map((m) => isMapInMapType(m.attr.type));
  // Descriptor index by map id.
  const descOfId = new Map<number, number>(maps.map((m, i) => [m.id, i]));
  /** The map pointer of an inner map `inner` found in `outerMap`: its descriptor, given one the first time. */
  const innerDesc = (outerMap: BpfMap, inner: BpfMap, pc: number): number => {
    let i = descOfId.get(inner.id);
    if (i === undefined) {
      const where = `bpf_map_lookup_elem on map '${outerMap.name}' of object '${env.object ?? '?'}' found inner map '${inner.name}' (id ${inner.id})`;
      const h = inner.handle;
      if (h === null || (env.memoryId !== undefined ? h.memory !== env.memoryId : inner.mems[0]!.buffer !== mem.buffer)) {
        throw new ProgramFault(FAULT_HELPER_ARG, pc, inner.id, `${where}, which lives outside the object's memory, where a translated program cannot reach it: ` +
          'create inner maps with loaded.createMap(spec) (or define them in the object) before placing them');
      }
      if (maps.length >= descLimit) {
        throw new ProgramFault(FAULT_HELPER_ARG, pc, inner.id, `${where}: this CPU has met ${descLimit - env.maps.length} inner maps already, all the object's spare map descriptors; reuse inner maps rather than creating new ones`);
      }
      i = maps.length;
      maps.push(inner);
      keyBufs.push(new Uint8Array(inner.attr.keySize));
      outer.push(false);
      descOfId.set(inner.id, i);
      env.onInnerMap?.(inner);
    }
    return descBase + i * descBytes;
  };
  // The map index a map pointer in r<i> stands for: an index from its offset, no table lookup.
  const mapIndex = (i: number, pc: number): number => {
    const off = lo(i) - descBase;
    // A pointer below the descriptors makes off negative: >>> then gives an index past the end.
    const mi = off >>> descShift;
    if ((off & (descBytes - 1)) !== 0 || mi >= maps.length) {
      throw new ProgramFault(FAULT_HELPER_ARG, pc, lo(i), `r${i} is not a map pointer (0x${lo(i).toString(16)}): pass a map from ld_imm64 (&map)`);
    }
    return mi;
  };
  const map = (i: number, pc: number): BpfMap => maps[mapIndex(i, pc)]!;
  // A key from the program's memory: a number for 4-byte keys, else the bytes copied into the map's own buffer.
  const key = (mi: number, addr: number, pc: number): number | Uint8Array => {
    const buf = keyBufs[mi]!;
    const ks = buf.length;
    inMemory(addr, ks, pc);
    if (ks === 4 && (addr & 3) === 0) return u32[addr >>> 2]!;
    for (let i = 0; i < ks; i++) buf[i] = u8[addr + i]!;
    return buf;
  };
  const addrOf = (v: ValueView | null): number => (v === null ? 0 : v._mem.offset + v._off);
  const ring = (m: BpfMap, pc: number, helper: string): RingbufPriv => {
    if (m.attr.type !== BPF_MAP_TYPE_RINGBUF) {
      throw new ProgramFault(FAULT_HELPER_ARG, pc, m.attr.type, `${helper} takes a ring buffer map, not map '${m.name}' (type ${m.attr.type}); the verifier would refuse this program`);
    }
    return ringbufOf(m);
  };
  const rings: RingbufPriv[] = [];
  const recordRing = (addr: number): RingbufPriv | undefined => {
    for (const p of rings) if (addr >= p.data.offset && addr < p.data.offset + p.size + BPF_RINGBUF_HDR_SZ) return p;
    return undefined;
  };
  const commit = (pc: number, discard: boolean): number => {
    const addr = lo(1);
    const p = recordRing(addr);
    const flags = u64(2);
    if (p === undefined || !commitRecordAt(p, addr - p.data.offset, flags, discard)) {
      throw new ProgramFault(FAULT_HELPER_ARG, pc, addr,
        `bpf_ringbuf_${discard ? 'discard' : 'submit'} of 0x${addr.toString(16)}: not a record from bpf_ringbuf_reserve, or one already submitted or discarded`);
    }
    return 0;
  };

  const all: Record<number, Binding> = {
    // bpf_map_lookup_elem(map, key): the value's address, or NULL; in a map of maps, the inner map's pointer.
    1: (pc) => {
      const mi = mapIndex(1, pc);
      const m = maps[mi]!;
      const v = bpf_map_lookup_elem(m, key(mi, lo(2), pc));
      return outer[mi] === true && v !== null ? innerDesc(m, v as unknown as BpfMap, pc) : addrOf(v);
    },
    // bpf_map_update_elem(map, key, value, flags)
    2: (pc) => { const mi = mapIndex(1, pc); const m = maps[mi]!; return bpf_map_update_elem(m, key(mi, lo(2), pc), at(lo(3), m.attr.valueSize, pc), u64(4)); },
    // bpf_map_delete_elem(map, key)
    3: (pc) => { const mi = mapIndex(1, pc); return bpf_map_delete_elem(maps[mi]!, key(mi, lo(2), pc)); },
    // bpf_ktime_get_ns(): u64 in r0's slot
    5: () => { setR0(ktimeGetNs()); return 0; },
    // bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)
    6: (pc) => tracePrintk(env, lo(1), lo(2), pc),
    // bpf_tail_call(ctx, prog_array, index): 1 when it jumps (the translated code then returns), 0 to fall through.
    12: (pc) => {
      const m = map(2, pc);
      if (m.attr.type !== BPF_MAP_TYPE_PROG_ARRAY) {
        throw new ProgramFault(FAULT_HELPER_ARG, pc, m.attr.type, `bpf_tail_call takes a prog array, not map '${m.name}' (${mapTypeName(m.attr.type) ?? `type ${m.attr.type}`}); the verifier would refuse this program`);
      }
      // The index is a u32 (r3's low half); out of range or empty: fall through.
      const prog = progArraySlot(m, lo(3));
      if (prog === null) return 0;
      return env.tailCall === undefined ? 0 : env.tailCall(prog, pc);
    },
    // bpf_perf_event_output(ctx, perf_event_array, flags, data, size)
    25: (pc) => {
      const m = map(2, pc);
      if (m.attr.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
        throw new ProgramFault(FAULT_HELPER_ARG, pc, m.attr.type, `bpf_perf_event_output takes a perf event array, not map '${m.name}' (${mapTypeName(m.attr.type) ?? `type ${m.attr.type}`}); the verifier would refuse this program`);
      }
      const addr = lo(4);
      const size = u64(5);
      inMemory(addr, size, pc);
      // tc and xdp programs' flags 32..51 (BPF_F_CTXLEN_MASK) ask for that many packet bytes after
      // the data (bpf_skb_event_output); not built: refuse loudly rather than answer -EINVAL.
      if ((hi(3) & 0xfffff) !== 0 && env.packetProgram?.() === true) {
        throw new ProgramFault(FAULT_HELPER_ARG, pc, hi(3) & 0xfffff, `bpf_perf_event_output with BPF_F_CTXLEN_MASK bits (${hi(3) & 0xfffff} bytes of the packet appended to the sample) is not supported here; send the bytes as data`);
      }
      return perfEventOutputRaw(m, u64(3), u8, addr, size, (env.task() as { userMode?: boolean }).userMode === true);
    },
    // bpf_get_current_comm(buf, size): the task's name, NUL-padded to size.
    16: (pc) => {
      const buf = lo(1);
      const size = lo(2);
      inMemory(buf, size, pc);
      const comm = new TextEncoder().encode(env.task().comm);
      for (let i = 0; i < size; i++) u8[buf + i] = i < size - 1 && i < comm.length ? comm[i]! : 0;
      return 0;
    },
    // bpf_map_push_elem(map, value, flags) / pop_elem(map, value) / peek_elem(map, value)
    87: (pc) => { const m = map(1, pc); return bpf_map_push_elem(m, at(lo(2), m.attr.valueSize, pc), u64(3)); },
    88: (pc) => { const m = map(1, pc); return bpf_map_pop_elem(m, at(lo(2), m.attr.valueSize, pc)); },
    89: (pc) => { const m = map(1, pc); return bpf_map_peek_elem(m, at(lo(2), m.attr.valueSize, pc)); },
    // bpf_ringbuf_output(ringbuf, data, size, flags)
    130: (pc) => {
      const p = ring(map(1, pc), pc, 'bpf_ringbuf_output');
      const size = u64(3);
      const addr = lo(2);
      inMemory(addr, size, pc);
      // The ring copies words from a 4-aligned source; anything else goes through a byte copy.
      const data = (addr & 3) === 0 ? at(addr, size, pc) : u8.slice(addr, addr + size);
      return ringbufOutput(p, data, u64(4));
    },
    // bpf_ringbuf_reserve(ringbuf, size, flags): the record's address, or NULL.
    131: (pc) => {
      const p = ring(map(1, pc), pc, 'bpf_ringbuf_reserve');
      if (!rings.includes(p)) rings.push(p);
      if (u64(3) !== 0) return 0;
      const off = ringbufReserve(p, u64(2));
      return off < 0 ? 0 : p.data.offset + off + BPF_RINGBUF_HDR_SZ;
    },
    // bpf_ringbuf_submit(data, flags) / bpf_ringbuf_discard(data, flags)
    132: (pc) => commit(pc, false),
    133: (pc) => commit(pc, true),
    // bpf_ringbuf_query(ringbuf, flags): u64
    134: (pc) => { setR0(ringbufQuery(ring(map(1, pc), pc, 'bpf_ringbuf_query'), u64(2))); return 0; },
    // bpf_map_lookup_percpu_elem(map, key, cpu)
    195: (pc) => { const mi = mapIndex(1, pc); return addrOf(bpf_map_lookup_percpu_elem(maps[mi]!, key(mi, lo(2), pc), u64(3))); },
  };
  const out: Record<string, Binding> = {};
  for (const id of ids) {
    const fn = all[id];
    if (fn !== undefined) out[`h${id}`] = fn;
  }
  return out;

  function tracePrintk(e: HelperEnv, fmt: number, fmtSize: number, pc: number): number {
    if (fmtSize === 0) return EINVAL;
    inMemory(fmt, Math.min(fmtSize, u8.length - fmt), pc);
    const fmtBytes = u8.subarray(fmt, Math.min(fmt + fmtSize, u8.length));
    const args = [3, 4, 5].map((i) => BigInt(lo(i)) | (BigInt(hi(i)) << 32n));
    const text = bprintf(fmtBytes, args, (p) => readString(p), (p, n) => (p >= 4096 && p + n <= u8.length ? u8.slice(p, p + n) : null));
    if (text === null) return EINVAL;
    const task = e.task();
    const line = traceLine(task.comm, task.pid, e.cpu, ktimeGetNs(), text);
    const pipe = e.trace();
    if (pipe !== null) pipe.write(e.cpu, line);
    else process.stderr.write(line + '\n');
    return text.length;
  }

  function readString(p: number): string | null {
    if (!(p >= 4096 && p < u8.length)) return null;
    let s = '';
    for (let i = p; i < u8.length && i < p + 1024 && u8[i] !== 0; i++) s += String.fromCharCode(u8[i]!);
    return s;
  }
}
