// bpf_spin_lock on a 4-byte word inside a map value (struct bpf_spin_lock { __u32 val; }).
//
// Lock word: 0 free, 1 held, 2 held with waiters (a futex-style mutex after Drepper, "Futexes Are
// Tricky"). The default mode spins briefly, then parks in Atomics.wait: a kernel spin lock holder
// cannot be preempted, but a worker thread can, and a pure spin collapses when simulated CPUs
// outnumber cores. The pure-spin mode (test-and-test-and-set, word 0/1) stays for teaching and
// benchmarks.

import { isMainThread } from 'node:worker_threads';

/** One lock word: the Int32Array over the map's buffer and the word's index in it. */
export class SpinLockWord {
  readonly i32: Int32Array;
  readonly index: number;
  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
  }
}

export type SpinLockMode = 'adaptive' | 'spin';

/** Spins before parking, in the adaptive mode: long enough to cover a short critical section. */
const SPINS = 200;

let pureSpin = false;
// The main thread may not Atomics.wait: there the contended path keeps spinning.
const canWait = !isMainThread;

/** Choose the lock algorithm for this thread (each simulated CPU sets it at start). */
export function setSpinLockMode(mode: SpinLockMode): void {
  pureSpin = mode === 'spin';
}

export function spinLockMode(): SpinLockMode {
  return pureSpin ? 'spin' : 'adaptive';
}

export function spinLockAcquire(i32: Int32Array, i: number): void {
  if (Atomics.compareExchange(i32, i, 0, 1) === 0) return;
  if (pureSpin) {
    for (;;) {
      while (Atomics.load(i32, i) !== 0);
      if (Atomics.compareExchange(i32, i, 0, 1) === 0) return;
    }
  }
  for (let n = 0; n < SPINS; n++) {
    if (Atomics.load(i32, i) === 0 && Atomics.compareExchange(i32, i, 0, 1) === 0) return;
  }
  // Mark the lock contended; whoever unlocks a contended lock wakes one waiter.
  while (Atomics.exchange(i32, i, 2) !== 0) {
    if (canWait) Atomics.wait(i32, i, 2);
  }
}

export function spinLockRelease(i32: Int32Array, i: number): void {
  // Pure-spin locks only ever hold 1; adaptive locks hold 2 when somebody may be parked.
  if (Atomics.exchange(i32, i, 0) === 2) Atomics.notify(i32, i, 1);
}

function bpfSpinLock(lock: SpinLockWord): number {
  spinLockAcquire(lock.i32, lock.index);
  return 0;
}

/**
 * As in C, one name for two things: the helper `bpf_spin_lock(v.lock)` (takes the lock, returns 0)
 * and the field type `struct bpf_spin_lock` of a value layout (`struct({ cnt: u32, lock: bpf_spin_lock })`:
 * 4 bytes, 4-byte aligned).
 */
export const bpf_spin_lock = Object.assign(bpfSpinLock, { kind: 'bpf_spin_lock' as const, size: 4, align: 4 });

/** bpf_spin_unlock(&val->lock). Returns 0. */
export function bpf_spin_unlock(lock: SpinLockWord): number {
  spinLockRelease(lock.i32, lock.index);
  return 0;
}
