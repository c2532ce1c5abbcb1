// Per-CPU free lists of preallocated hash elements (the kernel's kernel/bpf/percpu_freelist.c, in
// its current form: no extralist; an element is spread over the CPUs at creation, popped from this
// CPU's list first and then from the others round-robin, and pushed back onto this CPU's list).
//
// Each CPU's list is a LIFO stack in shared memory with its own lock word. The elements handed to
// a CPU at creation are not written into a chain up front: the stack's bottom is an "untouched
// range" of consecutive element indices, taken from its top end (the order the kernel's populate
// loop leaves them in: the highest index is popped first). So creating a large map touches O(cpus)
// words, not every element, and the order elements come back in is still the kernel's.
//
// Per-CPU block (Int32 words from `base + cpu * FL_STRIDE_W` in the map's control buffer):
//   word  meaning                                               written by
//   +0    lock (0 free, 1/2 held)                               spinLockAcquire/Release
//   +1    head: element index + 1 of the top pushed element     pop/push under the lock
//         (0 = no pushed elements above the range)
//   +2    untouched elements left in the creation range         populate; pop under the lock
//   +3    first element index of the creation range            populate (then constant)
// The link from a pushed element to the one under it is the element's own free-list word
// (`fnextW` words into the element); it is separate from the hash-chain link, so a lock-free
// reader standing on a freed element still follows its old chain, as the kernel's layout allows.

import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';

/** Words of one CPU's block (a 64-byte line each, so CPUs' list heads never share a line). */
export const FL_STRIDE_W = 16;
const FL_LOCK = 0;
const FL_HEAD = 1;
const FL_RANGE_LEFT = 2;
const FL_RANGE_BASE = 3;

export class PcpuFreelist {
  /** The control buffer's words (the per-CPU blocks live there). */
  readonly ctrl: Int32Array;
  /** Word index of CPU 0's block. */
  readonly base: number;
  readonly cpus: number;
  /** The element buffer's words. */
  readonly elems: Int32Array;
  /** Words per element. */
  readonly elemWords: number;
  /** Word offset of the free-list link inside an element. */
  readonly fnextW: number;

  constructor(ctrl: Int32Array, base: number, cpus: number, elems: Int32Array, elemWords: number, fnextW: number) {
    this.ctrl = ctrl;
    this.base = base;
    this.cpus = cpus;
    this.elems = elems;
    this.elemWords = elemWords;
    this.fnextW = fnextW;
  }

  /**
   * pcpu_freelist_populate(): elements 0..n-1 over the CPUs in consecutive runs, the first n % cpus
   * CPUs getting one more. Runs once, before the map is visible to anyone.
   */
  populate(n: number): void {
    const per = Math.floor(n / this.cpus);
    const extra = n % this.cpus;
    let next = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const w = this.base + cpu * FL_STRIDE_W;
      const count = per + (cpu < extra ? 1 : 0);
      this.ctrl[w + FL_HEAD] = 0;
      this.ctrl[w + FL_RANGE_BASE] = next;
      this.ctrl[w + FL_RANGE_LEFT] = count;
      next += count;
    }
  }

  /** __pcpu_freelist_pop(): an element index, or -1 when every list is empty. */
  pop(cpu: number): number {
    const ctrl = this.ctrl;
    let c = cpu;
    for (let i = 0; i < this.cpus; i++) {
      const w = this.base + c * FL_STRIDE_W;
      // Skip an empty list without its lock, as the kernel does (READ_ONCE(head->first)): plain
      // loads, a hint only (a stale "empty" skips a list the kernel's racy look would skip too; a
      // stale "not empty" is read again under the lock). Atomics.load is 6-7 ns in node 20.
      if (ctrl[w + FL_HEAD] !== 0 || ctrl[w + FL_RANGE_LEFT] !== 0) {
        spinLockAcquire(ctrl, w + FL_LOCK);
        const head = ctrl[w + FL_HEAD]!;
        let e = -1;
        if (head !== 0) {
          e = head - 1;
          // Plain stores under the list's lock: its release (an Atomics.exchange) publishes them
          // to the next holder, and the only lock-free reader is the hint above.
          ctrl[w + FL_HEAD] = this.elems[e * this.elemWords + this.fnextW]!;
        } else {
          const left = ctrl[w + FL_RANGE_LEFT]!;
          if (left !== 0) {
            e = ctrl[w + FL_RANGE_BASE]! + left - 1;
            ctrl[w + FL_RANGE_LEFT] = left - 1;
          }
        }
        spinLockRelease(ctrl, w + FL_LOCK);
        if (e >= 0) return e;
      }
      c = c + 1 === this.cpus ? 0 : c + 1;
    }
    return -1;
  }

  /** __pcpu_freelist_push(): onto this CPU's list. */
  push(cpu: number, e: number): void {
    const ctrl = this.ctrl;
    const w = this.base + cpu * FL_STRIDE_W;
    spinLockAcquire(ctrl, w + FL_LOCK);
    this.elems[e * this.elemWords + this.fnextW] = ctrl[w + FL_HEAD]!;
    ctrl[w + FL_HEAD] = e + 1; // plain under the lock, as in pop
    spinLockRelease(ctrl, w + FL_LOCK);
  }

  /** Free elements on one CPU's list (for tests and statistics; not a snapshot under writers). */
  countOn(cpu: number): number {
    const w = this.base + cpu * FL_STRIDE_W;
    let n = Atomics.load(this.ctrl, w + FL_RANGE_LEFT);
    for (let link = Atomics.load(this.ctrl, w + FL_HEAD); link !== 0; link = this.elems[(link - 1) * this.elemWords + this.fnextW]!) n++;
    return n;
  }

  /** Free elements on all lists. */
  count(): number {
    let n = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) n += this.countOn(cpu);
    return n;
  }
}
