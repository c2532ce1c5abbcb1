// bpf_spin_lock on a 4-byte word inside a map value (struct bpf_spin_lock { __u32 val; }), and the
// same lock algorithm for the maps' internal locks.
//
// Lock word: 0 free, else (holder << 1) | waiters. `holder` is the holding thread's lock id (see
// the owner table below), so a waiter can say which CPU holds the lock and notice that the holder
// died; bit 0 says somebody may be parked (a futex-style mutex after Drepper, "Futexes Are Tricky",
// with the owner kept in the word). The default mode spins briefly, then parks in Atomics.wait: a
// kernel spin lock holder cannot be preempted, but a worker thread can, and a pure spin collapses
// when simulated CPUs outnumber cores. The pure-spin mode stays for teaching and benchmarks.
//
// A kernel program cannot hang on a lock: the verifier rejects a program that exits with a lock
// held, calls a function while holding one, or takes a second one. Handlers here are plain
// JavaScript, so the same rules are checked at run time, in the kernel's words, from a per-thread
// record of the held lock (each simulated CPU is one thread, so it is a per-CPU record):
// bpf_spin_lock and bpf_spin_unlock keep it, the helpers and the CPU's event loop read it. The
// record is three small integers in module variables, so the uncontended path costs what it did
// without it (one compare-and-swap each way, within 1-2 ns a pair; test/stress/lock-cost.ts).
// Waiting is bounded: a waiter gives up after `timeoutMs` naming the holder, steals a lock whose
// holder died, and leaves when its run is stopped.
//
// Owner table (Int32Array over one SharedArrayBuffer per process, handed to every CPU worker):
//   index     meaning                                                       written by
//   0         next lock id to hand out (counter)                            each thread registering, Atomics.add
//   1         reserved: the lock id of threads outside a runtime (user space, plain workers)
//   id >= 2   cpu + 1 while that thread lives, -(cpu + 1) once it died      the thread at start; the coordinator on its death

import { isMainThread } from 'node:worker_threads';
import { current } from '../smp/smp.js';

/** One lock word: the Int32Array over the map's buffer and the word's index in it. */
export class SpinLockWord {
  readonly i32: Int32Array;
  readonly index: number;
  /** This thread's small number for i32, so the held-lock record is two small integers (see below). */
  readonly slot: number;
  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
    this.slot = slotOf(i32);
  }
}

// Int32Arrays by slot, for the slow paths that must get back to the held word. Recording the
// lock object itself on every bpf_spin_lock cost a GC write barrier (about 4 ns a pair, measured);
// two small integers cost nothing measurable. Slots of collected arrays are reused.
const slots = new WeakMap<Int32Array, number>();
const arrays: (WeakRef<Int32Array> | undefined)[] = [];
const freeSlots: number[] = [];
const slotReaper = new FinalizationRegistry<number>((slot) => {
  arrays[slot] = undefined;
  freeSlots.push(slot);
});

function slotOf(i32: Int32Array): number {
  let s = slots.get(i32);
  if (s === undefined) {
    s = freeSlots.pop() ?? arrays.length;
    arrays[s] = new WeakRef(i32);
    slots.set(i32, s);
    slotReaper.register(i32, s);
  }
  return s;
}

export type SpinLockMode = 'adaptive' | 'spin';

/** Spins before parking, in the adaptive mode: long enough to cover a short critical section. */
const SPINS = 200;
/**
 * The adaptive spin backs off exponentially between two looks at the word, up to this many idle
 * steps (Anderson's test-and-test-and-set with backoff): a waiter that reads the word less often
 * leaves its cache line to the holder, which then unlocks and relocks without a transfer. Measured
 * (bench --quick, spinlock @2): 7.2-9.5 M events/s without, 10.7-13.9 with; @8 7.0 -> 11.5.
 */
const MAX_BACKOFF = 256;
/** Written by the backoff loop so the compiler cannot drop it. */
let backoffSink = 0;
/** A parked waiter wakes this often to look at the holder, the clock and the stop word. */
const SLICE_MS = 20;
/** Spins between two looks at the clock when the thread may not park (the main thread, pure spin). */
const CHECK_EVERY = 4096;
/** Lock ids: 1 is user space / an unregistered thread; CPU workers get 2 and up. */
const LOCK_ID_USER = 1;
const TABLE_WORDS = 1 << 16;

/** How long a waiter waits for one lock before it gives up (ms), unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

let pureSpin = false;
// The main thread may not Atomics.wait: there the contended path keeps spinning (bounded).
const canWait = !isMainThread;
/** This thread's word value when it holds a lock. */
let tag = LOCK_ID_USER << 1;
let lockId = LOCK_ID_USER;
let table: Int32Array | null = null;
let timeoutMs = DEFAULT_LOCK_TIMEOUT_MS;
/** The run's stop word, while a run is in progress on this CPU. */
let stopWords: Int32Array | null = null;
let stopIndex = 0;

/** Choose the lock algorithm for this thread (each simulated CPU sets it at start). */
export function setSpinLockMode(mode: SpinLockMode): void {
  pureSpin = mode === 'spin';
}

/** The process's owner table (created on first use in the thread that starts runtimes). */
export function lockOwnerTable(): SharedArrayBuffer {
  if (table === null) {
    table = new Int32Array(new SharedArrayBuffer(TABLE_WORDS * 4));
    table[0] = 2;
  }
  return table.buffer as SharedArrayBuffer;
}

/**
 * Register this thread as simulated CPU `cpu` in the owner table: its locks then name it, and the
 * coordinator can declare it dead. Returns the thread's lock id.
 */
export function registerLockOwner(cpu: number, owners: SharedArrayBuffer): number {
  table = new Int32Array(owners);
  // Ids wrap after 65534 worker starts; a lock word still naming an id from that long ago is not a concern.
  lockId = 2 + ((Atomics.add(table, 0, 1) - 2) % (TABLE_WORDS - 2));
  Atomics.store(table, lockId, cpu + 1);
  tag = lockId << 1;
  return lockId;
}

/** This thread's lock id, for locks that keep their holder outside the lock word (the ring buffer's). */
export function thisLockId(): number {
  return lockId;
}

/** The owner table's entry for a lock id (cpu + 1 alive, -(cpu + 1) dead), or 0: no table, or not a CPU's id. */
function ownerEntry(id: number): number {
  return table === null || id < 2 || id >= TABLE_WORDS ? 0 : Atomics.load(table, id);
}

/** True when the thread with this lock id died (the coordinator marked it): its locks will never be released. */
export function lockOwnerDied(id: number): boolean {
  return ownerEntry(id) < 0;
}

/** The coordinator's note that the thread with this lock id died (its locks may be taken over). */
export function markLockOwnerDead(id: number): void {
  const v = ownerEntry(id);
  // v > 0 only when the table exists and id is in it.
  if (v > 0) Atomics.store(table!, id, -v);
}

/** How long a waiter waits before it throws (ms); each thread has its own setting. */
export function setSpinLockTimeout(ms: number): void {
  if (!(ms > 0)) throw new RangeError(`the lock timeout must be a positive number of milliseconds, got ${ms}`);
  timeoutMs = ms;
}

/** While set, a waiter leaves (SpinLockError 'stopped') as soon as words[index] is not 0. */
export function setSpinLockStopWord(words: Int32Array | null, index = 0): void {
  stopWords = words;
  stopIndex = index;
}

/** Who a lock word names as its holder (cpu: holderCpu(word)): 'CPU 3', 'user space', or 'an unknown thread'. */
function describeHolder(word: number, cpu: number): string {
  if (cpu >= 0) return `CPU ${cpu}`;
  return word >>> 1 === LOCK_ID_USER ? 'user space' : 'an unknown thread';
}

/** The CPU a lock word names as its holder, or -1 (free, user space, unknown). */
function holderCpu(word: number): number {
  // A free word (0) names id 0, which has no entry.
  const v = ownerEntry(word >>> 1);
  return v === 0 ? -1 : Math.abs(v) - 1;
}

export type SpinLockFault =
  | 'exit-with-lock' | 'call-with-lock' | 'unlock-without-lock' | 'unlock-different' | 'timeout' | 'stopped';

/**
 * A lock rule broken at run time. The message starts with the line the kernel's verifier prints
 * for the same mistake (Linux 6.18), then says where and what to do.
 */
export class SpinLockError extends Error {
  override name = 'SpinLockError';
  readonly fault: SpinLockFault;
  /** The verifier's line for this mistake ('' for timeout and stopped, which the verifier cannot see). */
  readonly verifierMessage: string;
  /** The CPU holding the lock (timeout), or -1. */
  readonly holderCpu: number;
  /** The event that took the lock (exit-with-lock), or -1. */
  readonly lockedAtEvent: number;
  constructor(fault: SpinLockFault, verifierMessage: string, detail: string, holderCpu = -1, lockedAtEvent = -1) {
    super(verifierMessage ? `${verifierMessage} (${detail})` : detail);
    this.fault = fault;
    this.verifierMessage = verifierMessage;
    this.holderCpu = holderCpu;
    this.lockedAtEvent = lockedAtEvent;
  }
}

export const VERIFIER_EXIT_WITH_LOCK = 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region';
export const VERIFIER_CALL_WITH_LOCK = 'function calls are not allowed while holding a lock';
const VERIFIER_UNLOCK_WITHOUT_LOCK = 'bpf_spin_unlock without taking a lock';
const VERIFIER_UNLOCK_DIFFERENT = 'bpf_spin_unlock of different lock';

// ---- the lock algorithm -------------------------------------------------------------------------

export function spinLockAcquire(i32: Int32Array, i: number): void {
  if (Atomics.compareExchange(i32, i, 0, tag) !== 0) acquireSlow(i32, i);
}

export function spinLockRelease(i32: Int32Array, i: number): void {
  // Bit 0 set: somebody may be parked; wake one.
  if (Atomics.exchange(i32, i, 0) & 1) Atomics.notify(i32, i, 1);
}

function acquireSlow(i32: Int32Array, i: number): void {
  let started = 0;
  let n = 0;
  if (pureSpin || !canWait) {
    // Test-and-test-and-set; the clock, the holder and the stop word are looked at now and then.
    for (;;) {
      const v = Atomics.load(i32, i);
      if (v === 0) {
        if (Atomics.compareExchange(i32, i, 0, tag) === 0) return;
      } else if (++n % CHECK_EVERY === 0) {
        if (started === 0) started = performance.now();
        if (stuck(i32, i, v, started)) return;
      }
    }
  }
  for (let delay = 1; n < SPINS; n++) {
    if (Atomics.load(i32, i) === 0 && Atomics.compareExchange(i32, i, 0, tag) === 0) return;
    for (let d = 0; d < delay; d++) backoffSink = (backoffSink + d) | 0;
    if (delay < MAX_BACKOFF) delay <<= 1;
  }
  started = performance.now();
  for (;;) {
    let v = Atomics.load(i32, i);
    if (v === 0) {
      // Taken with the waiters bit: others may still be parked, and our unlock must wake one.
      if (Atomics.compareExchange(i32, i, 0, tag | 1) === 0) return;
      continue;
    }
    if ((v & 1) === 0) {
      if (Atomics.compareExchange(i32, i, v, v | 1) !== v) continue;
      v |= 1;
    }
    if (Atomics.wait(i32, i, v, SLICE_MS) === 'timed-out' && stuck(i32, i, v, started)) return;
  }
}

/**
 * A waiter's periodic look: take over the lock of a dead holder (returns true: the lock is ours),
 * leave when the run stops, give up after the timeout. Otherwise false: keep waiting.
 */
function stuck(i32: Int32Array, i: number, v: number, started: number): boolean {
  if (lockOwnerDied(v >>> 1)) {
    // The holder's thread is gone and will never unlock (a robust mutex's EOWNERDEAD): the value it
    // protected may be half-updated, which the coordinator already reported with the death.
    if (Atomics.compareExchange(i32, i, v, tag | (v & 1)) === v) return true;
    return false;
  }
  if (stopWords !== null && Atomics.load(stopWords, stopIndex) !== 0) {
    const cpu = holderCpu(v);
    throw new SpinLockError('stopped', '', `the run was stopped while this CPU waited for a lock held by ${describeHolder(v, cpu)}`, cpu);
  }
  const waited = performance.now() - started;
  if (waited > timeoutMs) {
    const cpu = holderCpu(v);
    throw new SpinLockError('timeout', '',
      `waited ${Math.round(waited)} ms for a bpf_spin_lock held by ${describeHolder(v, cpu)}, which never released it: ` +
      'the holder returned or threw with the lock held, loops inside the locked region, or is stuck; ' +
      'unlock on every path and keep locked regions short (the kernel allows no calls and no loops there)',
      cpu);
  }
  return false;
}

// ---- bpf_spin_lock / bpf_spin_unlock and the per-CPU record ------------------------------------------

/**
 * The per-CPU record of the held lock: the word's index (-1: none) and its array's slot, and the
 * event (current.index) that took it. Helpers read heldLockIndex to refuse calls under a lock.
 * heldAtEvent is read only while a lock is held, and bpf_spin_lock sets it, so nothing resets it.
 */
export let heldLockIndex = -1;
let heldSlot = -1;
let heldAtEvent = -1;

function bpfSpinLock(lock: SpinLockWord): number {
  if (heldLockIndex !== -1) lockHeldFault('bpf_spin_lock');
  spinLockAcquire(lock.i32, lock.index);
  heldLockIndex = lock.index;
  heldSlot = lock.slot;
  heldAtEvent = current.index;
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
  if (heldLockIndex !== lock.index || heldSlot !== lock.slot) unlockFault(lock);
  heldLockIndex = -1;
  spinLockRelease(lock.i32, lock.index);
  return 0;
}

/** The word this CPU holds, or null. */
function heldWord(): { i32: Int32Array; index: number } | null {
  if (heldLockIndex === -1) return null;
  const i32 = arrays[heldSlot]?.deref();
  return i32 === undefined ? null : { i32, index: heldLockIndex };
}

function unlockFault(lock: SpinLockWord): void {
  const held = heldWord();
  // Two map objects over one buffer (openMap twice) have two arrays for the same word: the same lock.
  if (held !== null && held.i32.buffer === lock.i32.buffer && held.i32.byteOffset + 4 * held.index === lock.i32.byteOffset + 4 * lock.index) {
    heldSlot = lock.slot;
    heldLockIndex = lock.index;
    return;
  }
  if (heldLockIndex === -1) {
    throw new SpinLockError('unlock-without-lock', VERIFIER_UNLOCK_WITHOUT_LOCK,
      'bpf_spin_unlock was called but this CPU holds no bpf_spin_lock; unlock only what you locked, once');
  }
  throw new SpinLockError('unlock-different', VERIFIER_UNLOCK_DIFFERENT,
    'bpf_spin_unlock was given another value\'s lock than the one this CPU holds; unlock the lock you took');
}

/**
 * A call while this CPU holds a lock. If the lock was taken during an earlier event, that event's
 * handler returned with it held; otherwise the call itself breaks the rule.
 */
export function lockHeldFault(call: string): never {
  const now = current.index;
  if (heldAtEvent !== now) {
    throw new SpinLockError('exit-with-lock', VERIFIER_EXIT_WITH_LOCK,
      `the handler returned at event ${heldAtEvent} with its bpf_spin_lock still held (found at event ${now}, in ${call}); ` +
      'call bpf_spin_unlock on every path before returning', -1, heldAtEvent);
  }
  throw new SpinLockError('call-with-lock', VERIFIER_CALL_WITH_LOCK,
    call === 'bpf_spin_lock'
      ? 'bpf_spin_lock was called while this CPU already holds a bpf_spin_lock (the same lock would deadlock); a program may hold one lock at a time'
      : `${call} was called between bpf_spin_lock and bpf_spin_unlock; call helpers before taking the lock or after releasing it`,
    -1, heldAtEvent);
}

/**
 * The end of a handler's run on this CPU (or of a runOn call): a lock still held is the verifier's
 * "exit inside a locked region". Releases it, so no other CPU waits on it, and returns the fault
 * (null when nothing was held).
 */
export function releaseHeldLock(): SpinLockError | null {
  if (heldLockIndex === -1) return null;
  const held = heldWord();
  const at = heldAtEvent;
  heldLockIndex = -1;
  if (held !== null) spinLockRelease(held.i32, held.index);
  return new SpinLockError('exit-with-lock', VERIFIER_EXIT_WITH_LOCK,
    `the handler returned${at >= 0 ? ` at event ${at}` : ''} with its bpf_spin_lock still held; call bpf_spin_unlock on every path before returning`,
    -1, at);
}
