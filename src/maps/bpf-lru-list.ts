// The LRU lists behind LRU_HASH and LRU_PERCPU_HASH (the kernel's kernel/bpf/bpf_lru_list.c).
//
// Every element of an LRU map is preallocated and always sits on exactly one list. Two shapes:
//
//  - common LRU (default): one global set of lists ACTIVE / INACTIVE / FREE under one lock, plus
//    per CPU a LOCAL_FREE cache and a LOCAL_PENDING list (nodes handed out on that CPU and not yet
//    looked at by the global lists) under a per-CPU lock. A CPU takes nodes from its cache; when
//    it is empty it flushes its pending nodes into the global lists, rotates them, and moves up to
//    target_free = clamp(max_entries / cpus / 2, 1, 128) nodes into its cache, evicting (shrinking
//    INACTIVE, then forcing) when FREE has too few. As a last resort it steals from other CPUs.
//  - per-CPU LRU (BPF_F_NO_COMMON_LRU): each CPU owns max_entries / cpus nodes and its own lists;
//    no caches, no stealing.
//
// A node's ref bit is set (lock-free) by program lookups and replace-updates; rotation moves
// referenced INACTIVE nodes to ACTIVE and unreferenced ACTIVE nodes to INACTIVE, and eviction takes
// unreferenced INACTIVE nodes from the tail (oldest) first. Evicting a node unlinks its element
// from the hash table through `delFromHtab`, which takes that bucket's lock: the lock order is
// always LRU lock, then bucket lock.
//
// Lists are the kernel's circular doubly linked lists with a sentinel head: list_add() puts a node
// right after the head ("head" = newest end), the tail (head.prev) is the oldest. Nodes and
// sentinels share one index space, so the same four primitives serve every list.
//
// Buffer (Int32 words), control part first; each CPU's block is 16 words (its own 64-byte line):
//   word              meaning                                                written by
//   0                 common: global lock                                    spinLockAcquire/Release
//   1, 2              common: |ACTIVE|, |INACTIVE|                           under the global lock
//   3                 common: next_inactive_rotation (a node or sentinel)    under the global lock
//   16 + 16c + 0      common: CPU c's local lock;  per-CPU: list c's lock    spinLockAcquire/Release
//   16 + 16c + 1      common: next_steal;          per-CPU: |ACTIVE|         CPU c (Atomics); under list c's lock
//   16 + 16c + 2      per-CPU: |INACTIVE|                                    under list c's lock
//   16 + 16c + 3      per-CPU: next_inactive_rotation of list c              under list c's lock
//   nodesW + 4i + 0   next link (node or sentinel index)                     under the lock of the node's list
//   nodesW + 4i + 1   prev link                                              under the lock of the node's list
//   nodesW + 4i + 2   type | cpu << 8 (read lock-free by pushFree)           under the node's list lock
//   nodesW + 4i + 3   ref (0/1)                                              program lookups, Atomics; cleared under locks
// Nodes 0..n-1 are the map's elements (same index as the hash element). Sentinels follow:
//   common: n + ACTIVE, n + INACTIVE, n + FREE, then per CPU c: n + 3 + 2c (LOCAL_FREE), n + 4 + 2c (LOCAL_PENDING)
//   per-CPU: n + 3c + ACTIVE / INACTIVE / FREE

import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';

// enum bpf_lru_list_type
export const LRU_ACTIVE = 0;
export const LRU_INACTIVE = 1;
export const LRU_FREE = 2;
export const LRU_LOCAL_FREE = 3;
export const LRU_LOCAL_PENDING = 4;

/** LOCAL_FREE_TARGET: the most nodes a CPU's cache takes at once (and the common LRU's scan limit). */
export const LOCAL_FREE_TARGET = 128;
/** PERCPU_FREE_TARGET: nodes a per-CPU list shrinks at once (and its scan limit). */
export const PERCPU_FREE_TARGET = 4;

const CPU_BLOCK_W = 16;
const CTRL_W = 16;
const G_LOCK = 0;
const G_COUNTS = 1;
const G_ROT = 3;
const L_LOCK = 0;
const L_NEXT_STEAL = 1;
const P_COUNTS = 1;
const P_ROT = 3;

const NODE_W = 4;
const N_NEXT = 0;
const N_PREV = 1;
const N_TYPE = 2;
const N_REF = 3;

/** Unlinks a node's element from the hash table; false when it is not linked there (in flight). */
export type DelFromHtab = (node: number) => boolean;

/** Where the element's hash lives, so a node handed out carries it (the kernel's hash_offset). */
export interface HashSlot {
  readonly words: Int32Array;
  readonly stride: number;
  readonly offset: number;
}

/** Bytes of the LRU buffer for n elements. */
export function lruBufferBytes(n: number, cpus: number, percpu: boolean): number {
  const sentinels = percpu ? 3 * cpus : 3 + 2 * cpus;
  return 4 * (CTRL_W + CPU_BLOCK_W * cpus + NODE_W * (n + sentinels));
}

/** clamp((n / cpus) / 2, 1, LOCAL_FREE_TARGET): the common LRU's refill size (Linux 6.16+). */
export function lruTargetFree(n: number, cpus: number): number {
  return Math.min(Math.max(Math.floor(Math.floor(n / cpus) / 2), 1), LOCAL_FREE_TARGET);
}

export class BpfLru {
  readonly w: Int32Array;
  readonly n: number;
  readonly cpus: number;
  readonly percpu: boolean;
  readonly nrScans: number;
  readonly targetFree: number;
  private readonly nodesW: number;
  private readonly delFromHtab: DelFromHtab;
  private readonly hash: HashSlot;

  constructor(words: Int32Array, n: number, cpus: number, percpu: boolean, delFromHtab: DelFromHtab, hash: HashSlot) {
    this.w = words;
    this.n = n;
    this.cpus = cpus;
    this.percpu = percpu;
    this.nrScans = percpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    this.targetFree = lruTargetFree(n, cpus);
    this.nodesW = CTRL_W + CPU_BLOCK_W * cpus;
    this.delFromHtab = delFromHtab;
    this.hash = hash;
  }

  // ---- list primitives (include/linux/list.h) ---------------------------------------------------

  private next(i: number): number {
    return this.w[this.nodesW + NODE_W * i + N_NEXT]!;
  }

  private prev(i: number): number {
    return this.w[this.nodesW + NODE_W * i + N_PREV]!;
  }

  private initHead(h: number): void {
    const b = this.nodesW + NODE_W * h;
    this.w[b + N_NEXT] = h;
    this.w[b + N_PREV] = h;
  }

  /** list_add(): right after the head (the newest end). */
  private add(i: number, head: number): void {
    const w = this.w;
    const first = this.next(head);
    const b = this.nodesW + NODE_W * i;
    w[b + N_NEXT] = first;
    w[b + N_PREV] = head;
    w[this.nodesW + NODE_W * first + N_PREV] = i;
    w[this.nodesW + NODE_W * head + N_NEXT] = i;
  }

  /** list_del(). */
  private del(i: number): void {
    const w = this.w;
    const nx = this.next(i);
    const pv = this.prev(i);
    w[this.nodesW + NODE_W * pv + N_NEXT] = nx;
    w[this.nodesW + NODE_W * nx + N_PREV] = pv;
  }

  private move(i: number, head: number): void {
    this.del(i);
    this.add(i, head);
  }

  private isEmpty(head: number): boolean {
    return this.next(head) === head;
  }

  // ---- node fields --------------------------------------------------------------------------

  // Node fields change only under the lock of the node's list, so under that lock plain loads and
  // stores suffice (the lock's acquire and release order them), as the kernel's READ_ONCE and
  // WRITE_ONCE; an Atomics call costs ~10 ns on Node 20, and rotation reads these for every node it
  // scans. The lock-free looks (pushFree's first look at the type, nodeCpu) are Atomics.loads.
  private type(i: number): number {
    return this.w[this.nodesW + NODE_W * i + N_TYPE]! & 0xff;
  }

  private setType(i: number, type: number): void {
    const a = this.nodesW + NODE_W * i + N_TYPE;
    this.w[a] = (this.w[a]! & ~0xff) | type;
  }

  private setTypeCpu(i: number, type: number, cpu: number): void {
    this.w[this.nodesW + NODE_W * i + N_TYPE] = type | (cpu << 8);
  }

  /** The CPU a node belongs to: its owner (per-CPU LRU), or where it was last handed out (common). */
  nodeCpu(i: number): number {
    return Atomics.load(this.w, this.nodesW + NODE_W * i + N_TYPE) >>> 8;
  }

  /**
   * Where node 0's ref word is (a byte address in the memory the list lives in) and the bytes from
   * one node's to the next: a translated program's inlined lookup sets the bit as setRef() does.
   */
  refSlot(): { readonly addr: number; readonly stride: number } {
    return { addr: this.w.byteOffset + (this.nodesW + N_REF) * 4, stride: NODE_W * 4 };
  }

  /** Under the node's list lock: a lookup setting the bit meanwhile may be seen or not, as in the kernel. */
  isRef(i: number): boolean {
    return this.w[this.nodesW + NODE_W * i + N_REF] !== 0;
  }

  /** bpf_lru_node_set_ref(): written only when clear, so hot lookups do not dirty the line. */
  setRef(i: number): void {
    const a = this.nodesW + NODE_W * i + N_REF;
    // Plain accesses, as the kernel's READ_ONCE/WRITE_ONCE: the bit orders nothing, a rotation
    // clearing it at the same moment may win or lose either way, and an aligned Int32 access
    // never tears (an Atomics.load costs 6-7 ns in node 20, not inlined; this is once a lookup).
    if (this.w[a] === 0) this.w[a] = 1;
  }

  /** Under the node's list lock; a lookup setting the bit at the same moment may win or lose, as in the kernel. */
  private clearRef(i: number): void {
    this.w[this.nodesW + NODE_W * i + N_REF] = 0;
  }

  /** The element's hash, written into a node as it is handed out (the kernel's hash_offset store). */
  private setHash(node: number, hash: number): void {
    this.hash.words[node * this.hash.stride + this.hash.offset] = hash | 0;
  }

  // ---- one list set (global, or one CPU's) ------------------------------------------------------

  /** Sentinel of list `type` in set `set` (common: the global set; per-CPU: the CPU). */
  private head(set: number, type: number): number {
    return this.percpu ? this.n + 3 * set + type : this.n + type;
  }

  /** Word of the set's counters / rotation cursor. */
  private setW(set: number, field: number): number {
    if (this.percpu) return CTRL_W + CPU_BLOCK_W * set + field;
    return field === P_ROT ? G_ROT : G_COUNTS + field - P_COUNTS;
  }

  private countAdd(set: number, type: number, d: number): void {
    // ACTIVE (0) and INACTIVE (1) are counted; a set's two counters are adjacent words.
    if (type <= LRU_INACTIVE) this.w[(this.percpu ? CTRL_W + CPU_BLOCK_W * set + P_COUNTS : G_COUNTS) + type]! += d;
  }

  private lockW(set: number): number {
    return this.percpu ? CTRL_W + CPU_BLOCK_W * set + L_LOCK : G_LOCK;
  }

  private localFree(cpu: number): number {
    return this.n + 3 + 2 * cpu;
  }

  private localPending(cpu: number): number {
    return this.n + 4 + 2 * cpu;
  }

  /** __bpf_lru_node_move_to_free(): off ACTIVE/INACTIVE onto a free list (ref kept). */
  private moveToFree(set: number, i: number, freeHead: number, freeType: number): void {
    const rot = this.setW(set, P_ROT);
    if (this.w[rot] === i) this.w[rot] = this.prev(i);
    this.countAdd(set, this.type(i), -1);
    this.setType(i, freeType);
    this.move(i, freeHead);
  }

  /** __bpf_lru_node_move_in(): from a CPU's pending list onto ACTIVE or INACTIVE, ref cleared. */
  private moveIn(set: number, i: number, type: number): void {
    this.countAdd(set, type, 1);
    this.setType(i, type);
    this.clearRef(i);
    this.move(i, this.head(set, type));
  }

  /** __bpf_lru_node_move(): between or within ACTIVE / INACTIVE / FREE, ref cleared. */
  private moveNode(set: number, i: number, type: number): void {
    const old = this.type(i);
    if (old !== type) {
      this.countAdd(set, old, -1);
      this.countAdd(set, type, 1);
      this.setType(i, type);
    }
    this.clearRef(i);
    const rot = this.setW(set, P_ROT);
    if (this.w[rot] === i) this.w[rot] = this.prev(i);
    this.move(i, this.head(set, type));
  }

  /** Rotate ACTIVE from the tail: referenced nodes go back to its head, the others to INACTIVE. */
  private rotateActive(set: number): void {
    const active = this.head(set, LRU_ACTIVE);
    const first = this.next(active);
    let i = 0;
    for (let node = this.prev(active); node !== active;) {
      const older = this.prev(node);
      this.moveNode(set, node, this.isRef(node) ? LRU_ACTIVE : LRU_INACTIVE);
      if (++i === this.nrScans || node === first) break;
      node = older;
    }
  }

  /**
   * Rotate INACTIVE from the cursor toward newer nodes, wrapping past the head, up to nrScans
   * nodes: referenced ones move to ACTIVE, the others stay for the next shrink. The cursor is left
   * on the next node to look at.
   */
  private rotateInactive(set: number): void {
    const inactive = this.head(set, LRU_INACTIVE);
    if (this.isEmpty(inactive)) return;
    const rotW = this.setW(set, P_ROT);
    const start = this.w[rotW]!;
    let last = this.next(start);
    if (last === inactive) last = this.next(last);
    let cur = start;
    let next = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = this.prev(cur);
        continue;
      }
      next = this.prev(cur);
      if (this.isRef(cur)) this.moveNode(set, cur, LRU_ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    this.w[rotW] = next;
  }

  /** __bpf_lru_list_rotate(): ACTIVE only when INACTIVE is the smaller one; INACTIVE always. */
  private rotate(set: number): void {
    if (this.w[this.setW(set, P_COUNTS + LRU_INACTIVE)]! < this.w[this.setW(set, P_COUNTS + LRU_ACTIVE)]!) this.rotateActive(set);
    this.rotateInactive(set);
  }

  /** Evict unreferenced INACTIVE nodes from the tail (at most nrScans looked at) until `want` are free. */
  private shrinkInactive(set: number, want: number, freeHead: number, freeType: number): number {
    const inactive = this.head(set, LRU_INACTIVE);
    let done = 0;
    let i = 0;
    for (let node = this.prev(inactive); node !== inactive;) {
      const newer = this.prev(node);
      if (this.isRef(node)) {
        this.moveNode(set, node, LRU_ACTIVE);
      } else if (this.delFromHtab(node)) {
        this.moveToFree(set, node, freeHead, freeType);
        if (++done === want) break;
      }
      if (++i === this.nrScans) break;
      node = newer;
    }
    return done;
  }

  /**
   * __bpf_lru_list_shrink(): as shrinkInactive; when that frees nothing, evict the oldest node that
   * can be removed from INACTIVE (or ACTIVE when INACTIVE is empty), referenced or not.
   */
  private shrink(set: number, want: number, freeHead: number, freeType: number): number {
    const done = this.shrinkInactive(set, want, freeHead, freeType);
    if (done) return done;
    const inactive = this.head(set, LRU_INACTIVE);
    const force = this.isEmpty(inactive) ? this.head(set, LRU_ACTIVE) : inactive;
    for (let node = this.prev(force); node !== force;) {
      const newer = this.prev(node);
      if (this.delFromHtab(node)) {
        this.moveToFree(set, node, freeHead, freeType);
        return 1;
      }
      node = newer;
    }
    return 0;
  }

  // ---- the common LRU ---------------------------------------------------------------------------

  /** __local_list_flush(): a CPU's pending nodes, oldest first, onto the global ACTIVE (ref) or INACTIVE. */
  private flushPending(cpu: number): void {
    const pending = this.localPending(cpu);
    for (let node = this.prev(pending); node !== pending;) {
      const newer = this.prev(node);
      this.moveIn(0, node, this.isRef(node) ? LRU_ACTIVE : LRU_INACTIVE);
      node = newer;
    }
  }

  /** bpf_lru_list_pop_free_to_local(): refill a CPU's cache under the global lock. */
  private refillLocal(cpu: number): void {
    const lock = this.lockW(0);
    spinLockAcquire(this.w, lock);
    try {
      this.flushPending(cpu);
      this.rotate(0);
      const free = this.head(0, LRU_FREE);
      const local = this.localFree(cpu);
      let moved = 0;
      for (let node = this.next(free); node !== free && moved < this.targetFree;) {
        const after = this.next(node);
        this.moveToFree(0, node, local, LRU_LOCAL_FREE);
        moved++;
        node = after;
      }
      if (moved < this.targetFree) this.shrink(0, this.targetFree - moved, local, LRU_LOCAL_FREE);
    } finally {
      spinLockRelease(this.w, lock);
    }
  }

  /** __local_list_pop_free(): the newest node of a CPU's cache, or -1. */
  private popLocalFree(cpu: number): number {
    const local = this.localFree(cpu);
    const node = this.next(local);
    if (node === local) return -1;
    this.del(node);
    return node;
  }

  /** __local_list_add_pending(): hand a node out on `cpu`. */
  private addPending(cpu: number, node: number, hash: number): void {
    // Read lock-free by eviction on other CPUs only after they take this CPU's lock; published to
    // lookups by the hash table's linking store.
    this.setHash(node, hash);
    this.setTypeCpu(node, LRU_LOCAL_PENDING, cpu);
    this.clearRef(node);
    this.add(node, this.localPending(cpu));
  }

  /** __local_list_pop_pending(): steal the oldest removable pending node, unreferenced ones first. */
  private popPending(cpu: number): number {
    const pending = this.localPending(cpu);
    for (let pass = 0; pass < 2; pass++) {
      for (let node = this.prev(pending); node !== pending; node = this.prev(node)) {
        if ((pass === 1 || !this.isRef(node)) && this.delFromHtab(node)) {
          this.del(node);
          return node;
        }
      }
    }
    return -1;
  }

  private commonPop(cpu: number, hash: number): number {
    const lock = CTRL_W + CPU_BLOCK_W * cpu + L_LOCK;
    spinLockAcquire(this.w, lock);
    let node: number;
    try {
      node = this.popLocalFree(cpu);
      if (node < 0) {
        this.refillLocal(cpu);
        node = this.popLocalFree(cpu);
      }
      if (node >= 0) this.addPending(cpu, node, hash);
    } finally {
      spinLockRelease(this.w, lock);
    }
    if (node >= 0) return node;
    // Nothing in this CPU's cache nor in the global lists: steal round-robin from next_steal on.
    const stealW = CTRL_W + CPU_BLOCK_W * cpu + L_NEXT_STEAL;
    const first = Atomics.load(this.w, stealW);
    let steal = first;
    do {
      const sLock = CTRL_W + CPU_BLOCK_W * steal + L_LOCK;
      spinLockAcquire(this.w, sLock);
      try {
        node = this.popLocalFree(steal);
        if (node < 0) node = this.popPending(steal);
      } finally {
        spinLockRelease(this.w, sLock);
      }
      steal = steal + 1 === this.cpus ? 0 : steal + 1;
    } while (node < 0 && steal !== first);
    Atomics.store(this.w, stealW, steal);
    if (node >= 0) {
      spinLockAcquire(this.w, lock);
      this.addPending(cpu, node, hash);
      spinLockRelease(this.w, lock);
    }
    return node;
  }

  private commonPush(node: number): void {
    const tc = Atomics.load(this.w, this.nodesW + NODE_W * node + N_TYPE);
    if ((tc & 0xff) === LRU_LOCAL_PENDING) {
      // Back into the cache of the CPU it was handed out on, unless it moved meanwhile.
      const cpu = tc >>> 8;
      const lock = CTRL_W + CPU_BLOCK_W * cpu + L_LOCK;
      spinLockAcquire(this.w, lock);
      if (this.type(node) === LRU_LOCAL_PENDING) {
        this.setType(node, LRU_LOCAL_FREE);
        this.clearRef(node);
        this.move(node, this.localFree(cpu));
        spinLockRelease(this.w, lock);
        return;
      }
      spinLockRelease(this.w, lock);
    }
    spinLockAcquire(this.w, G_LOCK);
    // A node some CPU has meanwhile taken into its local lists is not the global lists' to free.
    if (this.type(node) < LRU_LOCAL_FREE) this.moveNode(0, node, LRU_FREE);
    spinLockRelease(this.w, G_LOCK);
  }

  // ---- the per-CPU LRU ---------------------------------------------------------------------------

  private percpuPop(cpu: number, hash: number): number {
    const lock = this.lockW(cpu);
    spinLockAcquire(this.w, lock);
    try {
      this.rotate(cpu);
      const free = this.head(cpu, LRU_FREE);
      if (this.isEmpty(free)) this.shrink(cpu, PERCPU_FREE_TARGET, free, LRU_FREE);
      if (this.isEmpty(free)) return -1;
      const node = this.next(free);
      this.setHash(node, hash);
      this.moveNode(cpu, node, LRU_INACTIVE);
      return node;
    } finally {
      spinLockRelease(this.w, lock);
    }
  }

  private percpuPush(node: number): void {
    const cpu = this.nodeCpu(node);
    const lock = this.lockW(cpu);
    spinLockAcquire(this.w, lock);
    this.moveNode(cpu, node, LRU_FREE);
    spinLockRelease(this.w, lock);
  }

  // ---- the interface the hash table uses ----------------------------------------------------------

  /**
   * bpf_lru_populate() + bpf_lru_init(): every node on a FREE list (common: the global one, in index
   * order; per-CPU: CPU c gets nodes [c * n / cpus, (c + 1) * n / cpus)). Once, before any use.
   */
  populate(): void {
    const { n, cpus } = this;
    if (this.percpu) {
      for (let c = 0; c < cpus; c++) {
        for (const t of [LRU_ACTIVE, LRU_INACTIVE, LRU_FREE]) this.initHead(this.head(c, t));
        this.w[this.setW(c, P_ROT)] = this.head(c, LRU_INACTIVE);
      }
      const per = n / cpus;
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / per);
        this.setTypeCpu(i, LRU_FREE, c);
        this.clearRef(i);
        this.add(i, this.head(c, LRU_FREE));
      }
      return;
    }
    for (const t of [LRU_ACTIVE, LRU_INACTIVE, LRU_FREE]) this.initHead(this.head(0, t));
    this.w[G_ROT] = this.head(0, LRU_INACTIVE);
    for (let c = 0; c < cpus; c++) {
      this.initHead(this.localFree(c));
      this.initHead(this.localPending(c));
      this.w[CTRL_W + CPU_BLOCK_W * c + L_NEXT_STEAL] = c;
    }
    for (let i = 0; i < n; i++) {
      this.setTypeCpu(i, LRU_FREE, 0);
      this.clearRef(i);
      this.add(i, this.head(0, LRU_FREE));
    }
  }

  /** bpf_lru_pop_free(): a node for a new element on `cpu` (its hash written in), or -1 (ENOMEM). */
  popFree(cpu: number, hash: number): number {
    return this.percpu ? this.percpuPop(cpu, hash) : this.commonPop(cpu, hash);
  }

  /** bpf_lru_push_free(): a node whose element was deleted, replaced, or never linked. */
  pushFree(node: number): void {
    if (this.percpu) this.percpuPush(node);
    else this.commonPush(node);
  }

  /** Where each node is: list type per node (for tests and statistics; not a snapshot under writers). */
  listTypes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.type(i));
    return out;
  }

  /** The nodes of one list, newest first (for tests). `set` is the CPU for per-CPU lists and local lists. */
  listNodes(type: number, set = 0): number[] {
    const head = type === LRU_LOCAL_FREE ? this.localFree(set) : type === LRU_LOCAL_PENDING ? this.localPending(set) : this.head(set, type);
    const out: number[] = [];
    for (let node = this.next(head); node !== head && out.length <= this.n; node = this.next(node)) out.push(node);
    return out;
  }
}
