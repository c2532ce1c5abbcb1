// BPF_MAP_TYPE_LPM_TRIE (the kernel's kernel/bpf/lpm_trie.c): longest-prefix-match lookups.
//
// A key is struct bpf_lpm_trie_key: a u32 prefix length (host order, little-endian here) and
// data_size = key_size - 4 bytes of data read big-endian, bit 0 being the top bit of data[0]. The
// trie is binary: a node matches its first prefixlen bits, its two children continue with bit
// prefixlen of the key, and a node that exists only to split two subtrees is intermediate (IM),
// holds no value, and always has two children. A lookup walks down while the node's prefix
// matches, remembering the last real node; get_next_key walks in post-order (more specific
// prefixes before less specific ones). Writers take the trie lock; readers never lock.
//
// Nodes come from a fixed pool (the kernel allocates each one; BPF_F_NO_PREALLOC is required), so
// an update whose node the pool cannot give fails with ENOMEM, the kernel's answer when its
// allocator fails. The pool holds 2 x max_entries - 1 nodes (every real node plus the intermediate
// ones between them) and a reserve, capped at LPM_POOL_MAX_BYTES. An update writes a new node and
// publishes it with one store, as the kernel's rcu_assign_pointer; replaced and deleted nodes are
// freed in FIFO order, behind the reserve (QUARANTINE x cpus nodes), standing in for the kernel's
// RCU grace period: a reader (or a program holding a value view) on a freed node sees it
// unchanged until that many other nodes were allocated. The kernel keeps it for as long as the
// reader runs; here it is kept for that many allocations.
//
// Buffer 0, control (Int32 words):
//   word        size     meaning                                              written by
//   0           1        the trie lock (src/sync spin lock word)              writers
//   1           1        root link (0: empty, else node + 1)                  writers, Atomics.store
//   2           1        n_entries (real nodes)                               writers
//   3           1        next never-used node of the pool                     writers
//   4           1        free FIFO: index of the oldest freed node            writers
//   5           1        free FIFO: freed nodes in it                         writers
//   16 + i      nNodes   free FIFO ring (node numbers)                        writers
//
// Buffer 1, nodes (nodeSize bytes each, 8-byte aligned):
//   offset          size            meaning                                     written by
//   +0              4               child[0] link (0: none, else node + 1)      writers (store = publish)
//   +4              4               child[1] link                               writers
//   +8              4               prefixlen                                   the writer that fills the node
//   +12             4               flags: bit 0 = intermediate                 writers (delete sets it)
//   +16             round_up(ds, 8) data as big-endian u32 words (bit 0 of the  the writer that fills the node
//                                   prefix is bit 31 of word 0; zero past data_size): a step of a
//                                   lookup compares 32 bits at a time
//   +16 + ru8(ds)   round_up(vs, 8) value (real nodes only)                     that writer; programs via views

import { BPF_EXIST, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_NOEXIST } from './uapi.js';
import { EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC } from './errno.js';
import { copyFromSlot, copyValueIn } from './copy.js';
import { ValueView, type SharedMemory } from './layout.js';
import { BPF_F_ACCESS_MASK, accessFlagsOk, KMALLOC_MAX_SIZE, type BpfMapCore, type BpfMapOps, type Key, type MapAlloc, type MapAttr, type ValueSource } from './bpf.js';
import { roundUp8, TWO_32 } from './limits.js';
import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';

/** offsetof(struct bpf_lpm_trie_key, data): the u32 prefix length in front of the data. */
export const LPM_KEY_HEADER = 4;
const LPM_DATA_SIZE_MIN = 1;
const LPM_DATA_SIZE_MAX = 256;
/** sizeof(struct lpm_trie_node) on 6.18: two child pointers, prefixlen, flags. */
const KERNEL_NODE_SIZE = 24;
/** The largest value: a node (header, the largest data, the value) must fit one kmalloc(). */
export const LPM_VAL_SIZE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - KERNEL_NODE_SIZE;
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const FLAG_IM = 1;
/** Freed nodes wait behind this many per CPU before reuse (see the top of the file). */
export const QUARANTINE = 64;
/** The most a trie's node pool takes; a trie that needs more fails its updates with ENOMEM. */
export const LPM_POOL_MAX_BYTES = 256 * 1024 * 1024;

// Control words.
const C_LOCK = 0;
const C_ROOT = 1;
const C_ENTRIES = 2;
const C_BUMP = 3;
const C_FIFO_HEAD = 4;
const C_FIFO_COUNT = 5;
const C_FIFO = 16;
// Node words.
const N_CHILD0 = 0;
const N_PREFIXLEN = 2;
const N_FLAGS = 3;
const N_DATA_BYTES = 16;
const N_DATA_W = N_DATA_BYTES >>> 2;

interface LpmPriv {
  readonly ctrl: Int32Array;
  readonly mem: SharedMemory;
  readonly nI32: Int32Array;
  readonly nU8: Uint8Array;
  readonly nodeWords: number;
  readonly nodeSize: number;
  readonly nNodes: number;
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  readonly valueSize: number;
  readonly valOff: number;
  readonly maxEntries: number;
  /** Views by node, created on first lookup. */
  readonly views: (ValueView | undefined)[];
  /** Words of data a node holds (ceil(data_size / 4)). */
  readonly dataWords: number;
  /** get_next_key's path (max_prefixlen + 1 nodes), a key made from a number, the key as words: reused. */
  readonly stack: Int32Array;
  readonly numberKey: Uint8Array;
  readonly kw: Int32Array;
}

/** The node pool of a trie: 2 x max_entries - 1 nodes and the reserve, capped by bytes. */
function poolNodes(attr: MapAttr, cpus: number, nodeSize: number): number {
  const wanted = 2 * attr.maxEntries - 1 + QUARANTINE * cpus;
  return Math.max(1, Math.min(wanted, Math.floor(LPM_POOL_MAX_BYTES / nodeSize)));
}

function nodeSizeOf(dataSize: number, valueSize: number): number {
  return N_DATA_BYTES + roundUp8(dataSize) + roundUp8(valueSize);
}

// ---- keys and bits -----------------------------------------------------------------------------

/** A program's number key (an 8-byte key: prefixlen in the low word, 4 data bytes in the high one) as bytes. */
function keyBytes(p: LpmPriv, key: Key): Uint8Array {
  if (typeof key !== 'number') return key;
  const b = p.numberKey;
  const lo = key >>> 0;
  const hi = Math.floor(key / TWO_32) >>> 0;
  b[0] = lo; b[1] = lo >>> 8; b[2] = lo >>> 16; b[3] = lo >>> 24;
  b[4] = hi; b[5] = hi >>> 8; b[6] = hi >>> 16; b[7] = hi >>> 24;
  return b;
}

function keyPrefixlen(key: Uint8Array): number {
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

/** The key's data as big-endian u32 words into p.kw (zero past data_size): what lookups compare. */
function loadKeyWords(p: LpmPriv, key: Uint8Array): void {
  const kw = p.kw;
  const ds = p.dataSize;
  for (let j = 0; j < p.dataWords; j++) {
    const b = LPM_KEY_HEADER + 4 * j;
    const r = ds - 4 * j;
    kw[j] = r >= 4 ? (key[b]! << 24) | (key[b + 1]! << 16) | (key[b + 2]! << 8) | key[b + 3]!
      : (key[b]! << 24) | (r > 1 ? key[b + 1]! << 16 : 0) | (r > 2 ? key[b + 2]! << 8 : 0);
  }
}

/** extract_bit() of the key in p.kw: bit `index` (bit 0 is the top bit of the first byte). */
function keyBit(p: LpmPriv, index: number): number {
  return (p.kw[index >>> 5]! >>> (31 - (index & 31))) & 1;
}

function nodeBit(p: LpmPriv, n: number, index: number): number {
  return (p.nI32[n * p.nodeWords + N_DATA_W + (index >>> 5)]! >>> (31 - (index & 31))) & 1;
}

/**
 * longest_prefix_match() against the key in p.kw: how many leading bits of the node's data and the
 * key agree, at most min(node prefixlen, key prefixlen); 32 bits at a time (the kernel takes 8,
 * 4, 2, 1 bytes at a time, with the same result).
 */
function longestPrefixMatch(p: LpmPriv, n: number, keyLen: number): number {
  const nodeLen = p.nI32[n * p.nodeWords + N_PREFIXLEN]! >>> 0;
  const limit = nodeLen < keyLen ? nodeLen : keyLen;
  const base = n * p.nodeWords + N_DATA_W;
  let prefixlen = 0;
  for (let j = 0; j < p.dataWords; j++) {
    const diff = p.nI32[base + j]! ^ p.kw[j]!;
    if (diff !== 0) {
      prefixlen += Math.clz32(diff);
      break;
    }
    prefixlen += 32;
    if (prefixlen >= limit) break;
  }
  return prefixlen < limit ? prefixlen : limit;
}

function prefixlenOf(p: LpmPriv, n: number): number {
  return p.nI32[n * p.nodeWords + N_PREFIXLEN]! >>> 0;
}

function isIntermediate(p: LpmPriv, n: number): boolean {
  return (Atomics.load(p.nI32, n * p.nodeWords + N_FLAGS) & FLAG_IM) !== 0;
}

/** A child link of node n (Atomics.load: pairs with the writer's publishing store). */
function child(p: LpmPriv, n: number, bit: number): number {
  return Atomics.load(p.nI32, n * p.nodeWords + N_CHILD0 + bit);
}

// ---- the node pool -----------------------------------------------------------------------------

/** A node from the pool (never used ones first, then the oldest freed), or -1. Under the trie lock. */
function allocNode(p: LpmPriv): number {
  const c = p.ctrl;
  const bump = c[C_BUMP]!;
  if (bump < p.nNodes) {
    c[C_BUMP] = bump + 1;
    return bump;
  }
  const count = c[C_FIFO_COUNT]!;
  if (count === 0) return -1;
  const head = c[C_FIFO_HEAD]!;
  const n = c[C_FIFO + head]!;
  c[C_FIFO_HEAD] = head + 1 === p.nNodes ? 0 : head + 1;
  c[C_FIFO_COUNT] = count - 1;
  return n;
}

/** Give a node back, behind every node freed before it. Under the trie lock. */
function freeNode(p: LpmPriv, n: number): void {
  const c = p.ctrl;
  const count = c[C_FIFO_COUNT]!;
  let at = c[C_FIFO_HEAD]! + count;
  if (at >= p.nNodes) at -= p.nNodes;
  c[C_FIFO + at] = n;
  c[C_FIFO_COUNT] = count + 1;
}

/** Start a node that is not reachable yet: its prefixlen and flags, no children. */
function fillNode(p: LpmPriv, n: number, prefixlen: number, flags: number): void {
  const w = n * p.nodeWords;
  p.nI32[w + N_CHILD0] = 0;
  p.nI32[w + N_CHILD0 + 1] = 0;
  p.nI32[w + N_PREFIXLEN] = prefixlen | 0;
  p.nI32[w + N_FLAGS] = flags;
}

/** The key in p.kw as a node's data. */
function copyKeyData(p: LpmPriv, n: number): void {
  const base = n * p.nodeWords + N_DATA_W;
  for (let j = 0; j < p.dataWords; j++) p.nI32[base + j] = p.kw[j]!;
}

function copyNodeData(p: LpmPriv, dst: number, src: number): void {
  const d = dst * p.nodeWords + N_DATA_W;
  const s = src * p.nodeWords + N_DATA_W;
  for (let j = 0; j < p.dataWords; j++) p.nI32[d + j] = p.nI32[s + j]!;
}

/** A slot holding a link: ROOT_SLOT (the root word), or the word index of a node's child link. */
const ROOT_SLOT = -1;

// ---- lookup ------------------------------------------------------------------------------------

/**
 * trie_lookup_elem(): the node holding the longest prefix matching the key, or -1. Lock-free, as
 * the kernel's walk under rcu_read_lock(). Its rcu_dereference() of a child link is a plain load
 * whose value every later load of the walk uses as an address, which orders them after it; so is
 * the typed-array read here (aligned 32-bit reads of shared memory do not tear, and each node's
 * words are read at an index computed from the link). Writers fill a node before the
 * Atomics.store that publishes it. Atomics.load would add a call (~135 instructions) a step. With
 * 32-bit compares as well, a program's lookup among 1024 /24 routes went from 4231 to 913
 * instructions (callgrind, the key's construction included). The walk is written out in one
 * function: it is every program lookup's path.
 */
function lookupNode(p: LpmPriv, key: Uint8Array): number {
  const keyLen = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  const max = p.maxPrefixlen;
  if (keyLen > max) return -1;
  loadKeyWords(p, key);
  const nI32 = p.nI32;
  const kw = p.kw;
  const words = p.nodeWords;
  const dw = p.dataWords;
  let found = -1;
  let link = p.ctrl[C_ROOT]!;
  // A consistent trie gets more specific at every step: more steps than bits means a node was
  // reused under this reader (past the quarantine); stop with what was found.
  for (let steps = 0; link > 0 && steps <= max; steps++) {
    const w = (link - 1) * words;
    const nodeLen = nI32[w + N_PREFIXLEN]! >>> 0;
    // longest_prefix_match(), inline.
    const limit = nodeLen < keyLen ? nodeLen : keyLen;
    let matchlen = 0;
    for (let j = 0; j < dw; j++) {
      const diff = nI32[w + N_DATA_W + j]! ^ kw[j]!;
      if (diff !== 0) {
        matchlen += Math.clz32(diff);
        break;
      }
      matchlen += 32;
      if (matchlen >= limit) break;
    }
    if (matchlen > limit) matchlen = limit;
    if (matchlen === max) return link - 1;
    if (matchlen < nodeLen) break;
    if ((nI32[w + N_FLAGS]! & FLAG_IM) === 0) found = link - 1;
    link = nI32[w + N_CHILD0 + ((kw[nodeLen >>> 5]! >>> (31 - (nodeLen & 31))) & 1)]!;
  }
  return found;
}

function view(map: BpfMapCore, p: LpmPriv, n: number): ValueView {
  let v = p.views[n];
  if (v === undefined) {
    v = new map.View(p.mem, n * p.nodeSize + p.valOff, p.valueSize, -1);
    p.views[n] = v;
  }
  return v;
}

// ---- update and delete -------------------------------------------------------------------------

/** trie_check_add_elem(): a new element (not a replacement) is about to be linked. */
function checkAddElem(p: LpmPriv, flags: number): number {
  if (flags === BPF_EXIST) return ENOENT;
  const n = p.ctrl[C_ENTRIES]!;
  if (n === p.maxEntries) return ENOSPC;
  p.ctrl[C_ENTRIES] = n + 1;
  return 0;
}

function slotLoad(p: LpmPriv, s: number): number {
  return s === ROOT_SLOT ? p.ctrl[C_ROOT]! : p.nI32[s]!;
}

/** rcu_assign_pointer(): publish a fully written node. */
function slotPublish(p: LpmPriv, s: number, link: number): void {
  if (s === ROOT_SLOT) Atomics.store(p.ctrl, C_ROOT, link);
  else Atomics.store(p.nI32, s, link);
}

function childSlot(p: LpmPriv, n: number, bit: number): number {
  return n * p.nodeWords + N_CHILD0 + bit;
}

/** trie_update_elem(), under the trie lock. */
function updateLocked(p: LpmPriv, key: Uint8Array, value: ValueSource, flags: number): number {
  const keyLen = keyPrefixlen(key);
  loadKeyWords(p, key);
  // The kernel allocates the new node before it takes the lock; a pool that has none fails first.
  const fresh = allocNode(p);
  if (fresh < 0) return ENOMEM;
  fillNode(p, fresh, keyLen, 0);
  copyKeyData(p, fresh);
  copyValueIn(p.mem, fresh * p.nodeSize + p.valOff, value, p.valueSize, -1);
  const ret = insert(p, fresh, key, keyLen, flags);
  if (ret !== 0) freeNode(p, fresh);
  return ret;
}

function insert(p: LpmPriv, fresh: number, key: Uint8Array, keyLen: number, flags: number): number {
  let slot = ROOT_SLOT;
  let node = -1;
  let matchlen = 0;
  for (let link = slotLoad(p, slot); link > 0; link = slotLoad(p, slot)) {
    node = link - 1;
    matchlen = longestPrefixMatch(p, node, keyLen);
    const nodeLen = prefixlenOf(p, node);
    if (nodeLen !== matchlen || nodeLen === keyLen) break;
    slot = childSlot(p, node, keyBit(p, nodeLen));
    node = -1;
  }
  if (node < 0) {
    const r = checkAddElem(p, flags);
    if (r !== 0) return r;
    slotPublish(p, slot, fresh + 1);
    return 0;
  }
  const nodeLen = prefixlenOf(p, node);
  if (nodeLen === matchlen) {
    // The same prefix: replace the node (a real one unless BPF_NOEXIST; an intermediate one becomes real).
    if (!isIntermediate(p, node)) {
      if (flags === BPF_NOEXIST) return EEXIST;
    } else {
      const r = checkAddElem(p, flags);
      if (r !== 0) return r;
    }
    const fw = fresh * p.nodeWords;
    p.nI32[fw + N_CHILD0] = child(p, node, 0);
    p.nI32[fw + N_CHILD0 + 1] = child(p, node, 1);
    slotPublish(p, slot, fresh + 1);
    freeNode(p, node);
    return 0;
  }
  const r = checkAddElem(p, flags);
  if (r !== 0) return r;
  if (matchlen === keyLen) {
    // The new prefix covers the node: it goes in between, the node below it.
    p.nI32[fresh * p.nodeWords + N_CHILD0 + nodeBit(p, node, matchlen)] = node + 1;
    slotPublish(p, slot, fresh + 1);
    return 0;
  }
  // The two differ at bit matchlen: an intermediate node splits them.
  const im = allocNode(p);
  if (im < 0) {
    p.ctrl[C_ENTRIES] = p.ctrl[C_ENTRIES]! - 1;
    return ENOMEM;
  }
  fillNode(p, im, matchlen, FLAG_IM);
  copyNodeData(p, im, node);
  const imw = im * p.nodeWords;
  if (keyBit(p, matchlen)) {
    p.nI32[imw + N_CHILD0] = node + 1;
    p.nI32[imw + N_CHILD0 + 1] = fresh + 1;
  } else {
    p.nI32[imw + N_CHILD0] = fresh + 1;
    p.nI32[imw + N_CHILD0 + 1] = node + 1;
  }
  slotPublish(p, slot, im + 1);
  return 0;
}

/** trie_delete_elem(), under the trie lock. */
function deleteLocked(p: LpmPriv, key: Uint8Array): number {
  const keyLen = keyPrefixlen(key);
  loadKeyWords(p, key);
  let trim = ROOT_SLOT;
  let trim2 = trim;
  let parent = -1;
  let node = -1;
  let matchlen = 0;
  for (let link = slotLoad(p, trim); link > 0; link = slotLoad(p, trim)) {
    node = link - 1;
    matchlen = longestPrefixMatch(p, node, keyLen);
    const nodeLen = prefixlenOf(p, node);
    if (nodeLen !== matchlen || nodeLen === keyLen) break;
    parent = node;
    trim2 = trim;
    trim = childSlot(p, node, keyBit(p, nodeLen));
    node = -1;
  }
  if (node < 0 || prefixlenOf(p, node) !== keyLen || prefixlenOf(p, node) !== matchlen || isIntermediate(p, node)) return ENOENT;
  p.ctrl[C_ENTRIES] = p.ctrl[C_ENTRIES]! - 1;
  const c0 = child(p, node, 0);
  const c1 = child(p, node, 1);
  if (c0 !== 0 && c1 !== 0) {
    // Two children: the node stays, as an intermediate one.
    Atomics.or(p.nI32, node * p.nodeWords + N_FLAGS, FLAG_IM);
    return 0;
  }
  if (parent >= 0 && isIntermediate(p, parent) && c0 === 0 && c1 === 0) {
    // A leaf under an intermediate node: the intermediate node goes too, its other child moves up.
    const other = child(p, parent, 0) === node + 1 ? child(p, parent, 1) : child(p, parent, 0);
    slotPublish(p, trim2, other);
    freeNode(p, parent);
    freeNode(p, node);
    return 0;
  }
  slotPublish(p, trim, c0 !== 0 ? c0 : c1);
  freeNode(p, node);
  return 0;
}


// ---- get_next_key ------------------------------------------------------------------------------

function copyNodeKey(p: LpmPriv, n: number, next: Uint8Array): void {
  const len = prefixlenOf(p, n);
  next[0] = len; next[1] = len >>> 8; next[2] = len >>> 16; next[3] = len >>> 24;
  const base = n * p.nodeWords + N_DATA_W;
  for (let i = 0; i < p.dataSize; i++) next[LPM_KEY_HEADER + i] = p.nI32[base + (i >>> 2)]! >>> (24 - 8 * (i & 3));
}

/** The leftmost real node under `root` (an intermediate node always has two children). */
function leftmost(p: LpmPriv, root: number): number {
  let found = -1;
  for (let link = root; link > 0;) {
    const n = link - 1;
    if (isIntermediate(p, n)) {
      link = child(p, n, 0);
    } else {
      found = n;
      link = child(p, n, 0);
      if (link === 0) link = child(p, n, 1);
    }
  }
  return found;
}

/**
 * trie_get_next_key(): post-order. A NULL key, or one whose prefixlen is too long or that is not
 * in the trie, restarts at the leftmost node; after a key come the nodes of its parent's right
 * subtree, then its parent.
 */
function getNextKey(p: LpmPriv, key: Uint8Array | null, next: Uint8Array): number {
  const root = Atomics.load(p.ctrl, C_ROOT);
  if (root === 0) return ENOENT;
  if (key !== null && keyPrefixlen(key) <= p.maxPrefixlen) {
    const keyLen = keyPrefixlen(key);
    loadKeyWords(p, key);
    const stack = p.stack;
    let sp = -1;
    let node = -1;
    let matchlen = 0;
    for (let link = root; link > 0 && sp + 1 < stack.length;) {
      node = link - 1;
      stack[++sp] = node;
      matchlen = longestPrefixMatch(p, node, keyLen);
      const nodeLen = prefixlenOf(p, node);
      if (nodeLen !== matchlen || nodeLen === keyLen) break;
      link = child(p, node, keyBit(p, nodeLen));
      node = -1;
    }
    if (node >= 0 && prefixlenOf(p, node) === matchlen && !isIntermediate(p, node)) {
      // The key's node: the next one in post-order is in the parent's right subtree, or the parent.
      let cur = node;
      for (; sp > 0; sp--) {
        const parent = stack[sp - 1]!;
        if (child(p, parent, 0) === cur + 1) {
          const right = child(p, parent, 1);
          if (right !== 0) {
            copyNodeKey(p, leftmost(p, right), next);
            return 0;
          }
        }
        if (!isIntermediate(p, parent)) {
          copyNodeKey(p, parent, next);
          return 0;
        }
        cur = parent;
      }
      return ENOENT;
    }
  }
  copyNodeKey(p, leftmost(p, root), next);
  return 0;
}

// ---- the ops table -----------------------------------------------------------------------------

export const trieMapOps: BpfMapOps = {
  name: 'trie_map_ops',
  percpu: false,
  spinLockAllowed: false,
  genericBatch: { lookup: true, update: true, delete: true },

  allocCheck() {
    // The kernel has no map_alloc_check for tries: every check is in trie_alloc.
    return 0;
  },

  alloc(attr, cpus): MapAlloc | number {
    if (attr.maxEntries === 0 || !(attr.flags & BPF_F_NO_PREALLOC) || (attr.flags & ~LPM_CREATE_FLAG_MASK) ||
        !accessFlagsOk(attr.flags) || attr.keySize < LPM_KEY_HEADER + LPM_DATA_SIZE_MIN ||
        attr.keySize > LPM_KEY_HEADER + LPM_DATA_SIZE_MAX || attr.valueSize < 1 || attr.valueSize > LPM_VAL_SIZE_MAX) {
      return EINVAL;
    }
    const dataSize = attr.keySize - LPM_KEY_HEADER;
    const nodeSize = nodeSizeOf(dataSize, attr.valueSize);
    const nNodes = poolNodes(attr, cpus, nodeSize);
    // Buffer 1 holds the values a program's lookup points into (a checked program may access them).
    return { bufferSizes: [(C_FIFO + nNodes) * 4, nNodes * nodeSize], meta: { nNodes, nodeSize }, valueBuffers: [1] };
  },

  open(map) {
    const { nNodes, nodeSize } = map.getHandle().meta as { nNodes: number; nodeSize: number };
    const dataSize = map.attr.keySize - LPM_KEY_HEADER;
    const mem = map.mems[1]!;
    const priv: LpmPriv = {
      ctrl: map.mems[0]!.i32,
      mem,
      nI32: mem.i32,
      nU8: mem.u8,
      nodeWords: nodeSize >>> 2,
      nodeSize,
      nNodes,
      dataSize,
      maxPrefixlen: dataSize * 8,
      valueSize: map.attr.valueSize,
      valOff: N_DATA_BYTES + roundUp8(dataSize),
      maxEntries: map.attr.maxEntries,
      views: [],
      stack: new Int32Array(dataSize * 8 + 1),
      numberKey: new Uint8Array(8),
      dataWords: (dataSize + 3) >>> 2,
      kw: new Int32Array((dataSize + 3) >>> 2),
    };
    map.priv = priv;
  },

  lookupElem(map, key) {
    const p = map.priv as LpmPriv;
    const n = lookupNode(p, keyBytes(p, key));
    return n < 0 ? null : view(map, p, n);
  },

  updateElem(map, key, value, flags) {
    const p = map.priv as LpmPriv;
    const k = keyBytes(p, key);
    if (!(flags >= 0 && flags <= BPF_EXIST)) return EINVAL;
    if (keyPrefixlen(k) > p.maxPrefixlen) return EINVAL;
    spinLockAcquire(p.ctrl, C_LOCK);
    try {
      return updateLocked(p, k, value, flags);
    } finally {
      spinLockRelease(p.ctrl, C_LOCK);
    }
  },

  deleteElem(map, key) {
    const p = map.priv as LpmPriv;
    const k = keyBytes(p, key);
    if (keyPrefixlen(k) > p.maxPrefixlen) return EINVAL;
    spinLockAcquire(p.ctrl, C_LOCK);
    try {
      return deleteLocked(p, k);
    } finally {
      spinLockRelease(p.ctrl, C_LOCK);
    }
  },

  lookupElemSys(map, key, out) {
    const p = map.priv as LpmPriv;
    const n = lookupNode(p, key!);
    if (n < 0) return ENOENT;
    copyFromSlot(p.mem, n * p.nodeSize + p.valOff, out, 0, p.valueSize, -1);
    return 0;
  },

  getNextKey(map, key, next) {
    return getNextKey(map.priv as LpmPriv, key, next);
  },
};

/** Where a trie's nodes are, for tests: real and intermediate nodes linked, pool use. */
export interface LpmStats {
  entries: number;
  intermediate: number;
  poolNodes: number;
  freeNodes: number;
}

/** Count a trie's nodes by walking it (from user space, with no writer running). */
export function lpmStats(map: BpfMapCore): LpmStats {
  const p = map.priv as LpmPriv;
  let real = 0;
  let im = 0;
  const walk = (link: number): void => {
    if (link === 0) return;
    const n = link - 1;
    if (isIntermediate(p, n)) im++;
    else real++;
    walk(child(p, n, 0));
    walk(child(p, n, 1));
  };
  walk(Atomics.load(p.ctrl, C_ROOT));
  const used = Atomics.load(p.ctrl, C_BUMP);
  return { entries: real, intermediate: im, poolNodes: p.nNodes, freeNodes: p.nNodes - used + Atomics.load(p.ctrl, C_FIFO_COUNT) };
}
