// Copying values between user buffers, program buffers and map slots (the kernel's
// copy_map_value family). The bpf_spin_lock word is a special field: copies skip it, so no copy
// ever overwrites a lock, and copies handed to user space read it as zero.

import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';
import type { SharedMemory } from './layout.js';
import type { ValueSource } from './bpf.js';

/** Bytes of `src` (at sOff) into the map slot at dOff, n bytes, leaving the lock word alone. */
export function copyIntoSlot(mem: SharedMemory, dOff: number, src: Uint8Array, sOff: number, n: number, lockOffset: number): void {
  const u8 = mem.u8;
  if (lockOffset < 0) {
    for (let i = 0; i < n; i++) u8[dOff + i] = src[sOff + i]!;
    return;
  }
  for (let i = 0; i < n; i++) if (i < lockOffset || i >= lockOffset + 4) u8[dOff + i] = src[sOff + i]!;
}

/** The map slot at sOff into `dst` (at dOff), n bytes, with the lock word read as zero. */
export function copyFromSlot(mem: SharedMemory, sOff: number, dst: Uint8Array, dOff: number, n: number, lockOffset: number): void {
  const u8 = mem.u8;
  for (let i = 0; i < n; i++) dst[dOff + i] = u8[sOff + i]!;
  if (lockOffset >= 0) dst.fill(0, dOff + lockOffset, dOff + lockOffset + 4);
}

/** copy_map_value_locked into a slot: under the value's own bpf_spin_lock (BPF_F_LOCK updates). */
export function copyIntoSlotLocked(mem: SharedMemory, dOff: number, src: Uint8Array, sOff: number, n: number, lockOffset: number): void {
  const w = (dOff + lockOffset) >>> 2;
  spinLockAcquire(mem.i32, w);
  try {
    copyIntoSlot(mem, dOff, src, sOff, n, lockOffset);
  } finally {
    spinLockRelease(mem.i32, w);
  }
}

/** copy_map_value_locked out of a slot (BPF_F_LOCK lookups): a consistent snapshot. */
export function copyFromSlotLocked(mem: SharedMemory, sOff: number, dst: Uint8Array, dOff: number, n: number, lockOffset: number): void {
  const w = (sOff + lockOffset) >>> 2;
  spinLockAcquire(mem.i32, w);
  try {
    copyFromSlot(mem, sOff, dst, dOff, n, lockOffset);
  } finally {
    spinLockRelease(mem.i32, w);
  }
}

/** Slot to slot (a program's update with another map's value as the source). */
export function copySlotToSlot(dst: SharedMemory, dOff: number, src: SharedMemory, sOff: number, n: number, lockOffset: number): void {
  const d = dst.u8;
  const s = src.u8;
  for (let i = 0; i < n; i++) if (lockOffset < 0 || i < lockOffset || i >= lockOffset + 4) d[dOff + i] = s[sOff + i]!;
}

/** A program's value (bytes, or a view of another map's value or of a stack struct) into the slot at dOff. */
export function copyValueIn(mem: SharedMemory, dOff: number, src: ValueSource, n: number, lockOffset: number): void {
  // Bytes first: the common source, found at the first step of its prototype chain, where a
  // test for ValueView walks the whole chain of a Uint8Array to fail (a hot line in the profile of
  // a hash update from a handler).
  if (src instanceof Uint8Array) copyIntoSlot(mem, dOff, src, 0, n, lockOffset);
  else copySlotToSlot(mem, dOff, src._mem, src._off, n, lockOffset);
}

/** copy_map_value_locked into a slot from bytes or a view: under the value's own bpf_spin_lock, whatever the source. */
export function copyValueInLocked(mem: SharedMemory, dOff: number, src: ValueSource, n: number, lockOffset: number): void {
  const w = (dOff + lockOffset) >>> 2;
  spinLockAcquire(mem.i32, w);
  try {
    copyValueIn(mem, dOff, src, n, lockOffset);
  } finally {
    spinLockRelease(mem.i32, w);
  }
}

/**
 * The slot at sOff out to a program's bytes or view. Bytes read the lock word as zero; a view is
 * a slot, so its own lock word is left alone.
 */
export function copyValueOut(mem: SharedMemory, sOff: number, dst: ValueSource, n: number, lockOffset: number): void {
  if (dst instanceof Uint8Array) copyFromSlot(mem, sOff, dst, 0, n, lockOffset); // bytes first, as copyValueIn
  else copySlotToSlot(dst._mem, dst._off, mem, sOff, n, lockOffset);
}
