// Integer limits and rounding (the kernel's include/linux/limits.h and math.h). The lowest file of
// the map layer, so value layouts, the ground types in bpf.ts and every layer above share one copy.

/** The largest u32: the bound of every u32 field of union bpf_attr, of counts and of cursors. */
export const U32_MAX = 0xffffffff;

/** 2^32: a u64 kept as two u32 halves is hi * TWO_32 + lo (exact up to 2^53 as a JS number). */
export const TWO_32 = 4294967296;

/** True for an integer from 0 to U32_MAX (a u32 field, as the kernel reads one). */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX;
}

/** round_up(x, 8): the slot size of a value in arrays, hashes and per-CPU copies. */
export function roundUp8(x: number): number {
  return (x + 7) & ~7;
}

/** round_up(x, align) for any positive align. */
export function roundUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}
