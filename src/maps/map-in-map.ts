// Maps of maps (the kernel's kernel/bpf/map_in_map.c): the inner map template an outer map keeps,
// the check every placed map must pass, and BPF_MAP_TYPE_HASH_OF_MAPS (htab_of_maps_map_ops of
// kernel/bpf/hashtab.c: a hash map whose values are inner map ids). BPF_MAP_TYPE_ARRAY_OF_MAPS is
// with the other fd arrays, in fd-array.ts.
//
// A value is an inner map's id (see idr.ts). A program's lookup returns the inner map itself,
// which it then uses with the map helpers. An inner map deleted from its slot, or replaced, stays
// usable by a program that looked it up before: the map object it holds keeps its memory alive,
// as the kernel's RCU keeps the map until the programs that may hold it are done; its next lookup
// finds the slot's new map (or none).

import { EBADF, EINVAL, ENOTSUPP } from './errno.js';
import { idrFind, idrPublish } from './idr.js';
import { jhash2Word1Low30 } from './jhash.js';
import type { BpfMapCore, BpfMapOps, InnerMapMeta, Key, MapAttr } from './bpf.js';
import { htabMapOps, htabAllocCheck, htabOpen, find, hashOf, valueOff, type HtabPriv } from './hashtab.js';
import { BPF_F_INNER_MAP, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, isMapInMapType } from './uapi.js';

/** The map types that may not be inner maps (no map_meta_equal in their ops). */
const NO_META_EQUAL = new Set([BPF_MAP_TYPE_PROG_ARRAY]);

/**
 * bpf_map_meta_alloc(): the template's checks, at the outer map's creation (after the type's own
 * alloc checks): none (an inner_map_fd that is not a map: EINVAL), another map of maps (one level
 * only: EINVAL), a type that cannot be inner (ENOTSUPP).
 */
export function innerMetaCheck(attr: MapAttr): number {
  const meta = attr.inner;
  if (meta === undefined) return EINVAL;
  if (meta.isMapInMap) return EINVAL;
  if (NO_META_EQUAL.has(meta.type)) return ENOTSUPP;
  return 0;
}

/**
 * bpf_map_meta_equal() (array_map_meta_equal() for arrays): type, key and value size, flags and
 * the spin lock must be the template's; an ARRAY's max_entries too, unless the template has
 * BPF_F_INNER_MAP. (The kernel compares the maps' flags without BPF_F_RDONLY/BPF_F_WRONLY.)
 */
export function innerMapMatches(meta: InnerMapMeta, attr: MapAttr): boolean {
  if (meta.type !== attr.type || meta.keySize !== attr.keySize || meta.valueSize !== attr.valueSize ||
      meta.flags !== (attr.flags & ~(BPF_F_RDONLY | BPF_F_WRONLY)) || meta.lockOffset !== attr.lockOffset) {
    return false;
  }
  if (meta.type === BPF_MAP_TYPE_ARRAY && !(meta.flags & BPF_F_INNER_MAP)) return meta.maxEntries === attr.maxEntries;
  return true;
}

/**
 * bpf_map_fd_get_ptr(): the map an id names, if it may go into `outer`: an unknown id is EBADF
 * (no such fd), an object of another kind or a map unlike the template EINVAL. A map that passes
 * is published, so every CPU can open it by id before any program can read the id.
 */
export function innerMapOf(outer: BpfMapCore, id: number): BpfMapCore | number {
  const found = idrFind(id);
  if (found === undefined) return EBADF;
  if (found.kind !== 'map') return EINVAL;
  const inner = found.obj as BpfMapCore;
  if (inner.handle === null || isMapInMapType(inner.attr.type) || !innerMapMatches(outer.attr.inner!, inner.attr)) return EINVAL;
  idrPublish({ id, kind: 'map', handle: inner.handle });
  return inner;
}

/** The map an id names, in this thread, for a program's lookup (null when it cannot be found). */
export function mapById(id: number): BpfMapCore | null {
  const found = idrFind(id);
  return found !== undefined && found.kind === 'map' ? found.obj as BpfMapCore : null;
}

// ---- HASH_OF_MAPS -----------------------------------------------------------------------------

/**
 * Maps placed from this thread, by outer map: the references the kernel's map holds on them (by
 * id). Kept beside the map, not in its priv: priv is the hash's own HtabPriv, of the very shape
 * every hash map's has, so the hash walk (find, hashOf) stays monomorphic and reads its fields
 * in-object (a priv spread into a bigger literal kept four fields in-object and the rest behind
 * a pointer).
 */
const heldByOuter = new WeakMap<BpfMapCore, Map<number, BpfMapCore>>();

function idAt(p: HtabPriv, e: number): number {
  return p.eU32[valueOff(p, e) >>> 2]!;
}

/** htab_of_maps_map_ops: htab_map_ops with inner map ids for values. */
export const htabOfMapsMapOps: BpfMapOps = {
  ...htabMapOps,
  name: 'htab_of_maps_map_ops',
  spinLockAllowed: false,
  // The hash's own lookup batches (they return the ids) and the generic update and delete ones.
  genericBatch: { update: true, delete: true },

  allocCheck(attr) {
    // fd_htab_map_alloc_check(): a value is a u32 fd.
    if (attr.valueSize !== 4) return EINVAL;
    return htabAllocCheck(attr, false);
  },

  alloc(attr, cpus) {
    const r = innerMetaCheck(attr);
    if (r < 0) return r;
    return htabMapOps.alloc(attr, cpus);
  },

  open(map) {
    map.priv = htabOpen(map);
    heldByOuter.set(map, new Map());
  },

  lookupElem(map, key: Key) {
    const p = map.priv as HtabPriv;
    // hashOf()'s hash; a 4-byte number key (a program's usual key) hashed in locals.
    const hash = typeof key === 'number' && p.keySize === 4 ? jhash2Word1Low30(key >>> 0, p.seeds, 0) : hashOf(p, key);
    const e = find(p, hash, key);
    if (e < 0) return null;
    // The kernel's element holds the inner map's pointer, so its lookup is one load after the
    // walk. Ours holds an id, and resolving an id (idrFind: a table lookup, a weak reference, a
    // result object) cost more than the walk. So each thread keeps, by element, the map it last
    // resolved there, in the element's view slot (HtabPriv.views: a map of maps makes no value
    // views, its lookups return maps). It is used only while its id is the element's id: a
    // replaced value, a deleted and reused element or a re-added key has another id (ids are
    // never reused), misses, and is resolved afresh.
    const id = idAt(p, e);
    const cached = p.views[e] as unknown as BpfMapCore | undefined;
    // (handle is null once the inner map is detached, its program unloaded: then it misses.)
    if (cached !== undefined && cached.handle !== null && cached.handle.id === id) return cached as unknown as ReturnType<BpfMapOps['lookupElem']>;
    const inner = mapById(id);
    // Only a map is kept: an id this thread cannot open yet is asked for again next time.
    if (inner !== null) p.views[e] = inner as unknown as HtabPriv['views'][number];
    return inner as unknown as ReturnType<BpfMapOps['lookupElem']>;
  },

  updateElem(map, key, value, flags, cpu, onAllCpus) {
    // bpf_fd_htab_map_update_elem(): the fd is looked at before the flags.
    const v = value as Uint8Array;
    const id = (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
    const inner = innerMapOf(map, id);
    if (typeof inner === 'number') return inner;
    const r = htabMapOps.updateElem(map, key, value, flags, cpu, onAllCpus);
    if (r === 0) heldByOuter.get(map)!.set(id, inner);
    return r;
  },

  // The syscall has no lookup-and-delete for maps of maps.
  lookupAndDeleteElem: undefined,
};
