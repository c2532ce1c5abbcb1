// Where a map's buffers live. A map of its own gets one SharedArrayBuffer per buffer; the maps of
// a loaded eBPF object are regions of ONE shared WebAssembly memory, because a translated program
// can address only its module's memory (Node 20 has no multi-memory): a value pointer a program
// gets from bpf_map_lookup_elem is then the region's offset plus the value's offset in it.
//
// Layout of a MapMemory (all offsets from 0 of memory.buffer):
//   offset          size          meaning                                     written by
//   0               reserved      never handed out: address 0 is NULL          nobody
//   reserved ...    regions       map buffers and per-CPU areas, each aligned  whoever allocates them
//                                 to REGION_ALIGN, handed out in order, never
//                                 freed (the whole memory goes with its object)

import { roundUp } from './limits.js';

/** A map buffer: `byteLength` bytes at `byteOffset` of `buffer` (the names of a typed array's fields). */
export interface MapRegion {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** Regions start on a cache line pair, as per-CPU slabs do, so no two maps share a line. */
export const REGION_ALIGN = 128;
const PAGE = 65536;
/** Wasm32 addresses are u32; we keep them below 2^31 so an address is a positive i32. */
export const MAX_MEMORY_BYTES = 2 ** 31;

/** The bytes a buffer of n bytes takes in a MapMemory. */
export function regionBytes(n: number): number {
  return roundUp(Math.max(n, 8), REGION_ALIGN);
}

/** A buffer of its own (a map created outside any object). */
export function ownRegion(n: number): MapRegion {
  return { buffer: new SharedArrayBuffer(n), byteOffset: 0, byteLength: n };
}

/**
 * One shared WebAssembly memory, sized once (initial = maximum: V8 reserves a shared memory's
 * maximum up front, and an object's maps are all created at load, so it never needs to grow),
 * handed out in regions.
 */
let nextMemoryId = 1;

export class MapMemory {
  /** Unique in the process (maps created in it record it: MapHandle.memory). */
  readonly id = nextMemoryId++;
  readonly memory: WebAssembly.Memory;
  readonly buffer: SharedArrayBuffer;
  /** Size in 64 KiB pages. */
  readonly pages: number;
  private next: number;

  /** A memory of at least `bytes` bytes whose first `reserved` bytes are never handed out. */
  constructor(bytes: number, reserved = 4096) {
    const total = roundUp(bytes + reserved, PAGE);
    if (!(total <= MAX_MEMORY_BYTES)) {
      throw new RangeError(`a map memory of ${bytes} bytes is over the ${MAX_MEMORY_BYTES / 2 ** 20} MiB a 32-bit program address can reach`);
    }
    this.pages = total / PAGE;
    this.memory = new WebAssembly.Memory({ initial: this.pages, maximum: this.pages, shared: true });
    this.buffer = this.memory.buffer as SharedArrayBuffer;
    this.next = roundUp(reserved, REGION_ALIGN);
  }

  /** The next region of n bytes (zero-filled: nothing is ever reused), or null when it does not fit. */
  alloc(n: number): MapRegion | null {
    const size = regionBytes(n);
    if (this.next + size > this.buffer.byteLength) return null;
    const region = { buffer: this.buffer, byteOffset: this.next, byteLength: n };
    this.next += size;
    return region;
  }

  /** Bytes handed out so far, the reserved start included. */
  get used(): number {
    return this.next;
  }
}
