// The translator's contract with the loader and the runtime (plan/objects.md, "The translator").

/** A map as the translated code sees it: where it lives in the object's memory. */
export interface JitMap {
  /** Address of the map's descriptor: what a map pointer register holds (ld_imm64 of the map). */
  desc: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** ARRAY / PERCPU_ARRAY only, for the inlined lookup (the kernel's map_gen_lookup). */
  array?: { values: number; elemSize: number; slabStride: number };
  /** HASH / PERCPU_HASH / LRU_HASH / LRU_PERCPU_HASH, for the inlined lookup (htab_map_gen_lookup). */
  hash?: HashLookup;
  /** Global data and other value regions a program may address directly (PSEUDO_MAP_VALUE): value address. */
  valueAddr?: number;
  readonly?: boolean;
}

/**
 * Where a hash map's table is and how it is laid out (the runtime takes it from the map family,
 * hashtab.ts's htabGenLookup): byte addresses in the object's memory and offsets inside an element.
 */
export interface HashLookup {
  /** The jhash initval. */
  seed: number;
  /** The bits of the hash an element keeps (and a lookup compares). */
  hashMask: number;
  /** n_buckets - 1: bucket = hash & mask. */
  mask: number;
  /** Address of bucket 0's head link (an i32: > 0 element link - 1, <= 0 a chain's end marker). */
  heads: number;
  bucketBytes: number;
  /** Address of element 0 and the bytes of one element. */
  elems: number;
  elemSize: number;
  /** Offsets inside an element: next link (i32), hash (i32), key, value (HASH only; -1 per-CPU). */
  nextOff: number;
  hashOff: number;
  keyOff: number;
  valOff: number;
  /** Per-CPU maps: the value of element e on CPU c is at values + c * slabStride + e * vsRound. */
  percpu: { values: number; slabStride: number; vsRound: number } | null;
  /** LRU maps: element e's ref word (i32, set to 1 by a lookup when 0) is at addr + e * stride. */
  lruRef?: { addr: number; stride: number };
}

export interface TranslateInput {
  /** For messages. */
  name: string;
  /** The memory's size in 64 KiB pages (initial = maximum). */
  pages: number;
  /** Linked, relocated instructions, 8 bytes each. */
  insns: Uint8Array;
  /** The main program (start 0) and each appended sub-program. */
  funcs: { name: string; start: number }[];
  /** By map index (the imm of a relocated ld_imm64). */
  maps: JitMap[];
  /** Bound every load/store to the stack and the region table. */
  checked: boolean;
  /** Back edges allowed per event (default 1 << 23); one more is fault 3. */
  loopBudget?: number;
  /** 'fault' (default): a call to a helper with no binding faults (kind 2) when reached; 'refuse': a JitError now. */
  unknownHelpers?: 'fault' | 'refuse';
}

export interface TranslatedProgram {
  /** Compiled (new WebAssembly.Module(bytes)). */
  module: WebAssembly.Module;
  bytes: Uint8Array;
  /** Module byte offset (as V8 prints in "wasm-function[i]:0xOFF") -> instruction index, or -1 outside any instruction. */
  insnAt(offset: number): number;
  /** The same as plain data (it crosses to the CPU workers): see insnAtOffset. */
  codeMap: CodeMap;
  /** Known helper ids the program calls (inlined or imported), ascending. */
  helpersUsed: number[];
  /** Helper ids with no binding (fault 2 if reached), ascending. */
  unknownHelpers: number[];
}

/** Where each instruction's code starts: module byte offsets, ascending, and the instruction index at each (-1: glue). */
export interface CodeMap {
  offsets: Int32Array;
  pcs: Int32Array;
}

/** The default loop budget: back edges per event. */
export const DEFAULT_LOOP_BUDGET = 1 << 23;
