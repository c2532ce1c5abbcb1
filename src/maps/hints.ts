// "What to do" for each failure: the part of a BpfError message that turns an errno into advice.
// Keyed by the operation and errno, with the detail the generic layer knows (which check failed).

import { errnoName } from './errno.js';
import type { ErrnoName } from './errno.js';
import { BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK } from './uapi.js';
import { mapValueSize, type BpfMapCore, type MapAttr } from './bpf.js';
import { roundUp8 } from './limits.js';
import {
  BPF_F_CLONE, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY,
  BPF_F_RDONLY_PROG, BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_OBJ_NAME_LEN, mapTypeName,
  BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY,
} from './uapi.js';

function isArray(attr: MapAttr): boolean {
  return attr.type === BPF_MAP_TYPE_ARRAY || attr.type === BPF_MAP_TYPE_PERCPU_ARRAY;
}

const DETAIL: Record<string, (attr: MapAttr, map?: BpfMapCore) => string> = {
  // BPF_MAP_CREATE's EINVAL causes that the generic layer tells apart (the rest: createEinval()).
  name: (a) => a.name.length >= BPF_OBJ_NAME_LEN
    ? `the name '${a.name}' has ${a.name.length} characters; the kernel takes at most ${BPF_OBJ_NAME_LEN - 1} (BPF_OBJ_NAME_LEN - 1)`
    : `the name '${a.name}' has a character the kernel refuses ('${[...a.name].find((c) => !/[A-Za-z0-9_.]/.test(c))}'); use letters, digits, '_' and '.'`,
  layout: (a, m) => {
    const size = (m as { spec?: { value?: { size: number } } } | undefined)?.spec?.value?.size ?? 0;
    return `the value layout is ${size} bytes but valueSize is ${a.valueSize}; the kernel would accept the spec, the layout does not describe it: ` +
      `give valueSize: layout.size (${size}), or a layout of ${a.valueSize} bytes`;
  },
  mapextra: (a) => `map_extra is for bloom filters (the number of hash functions); leave it 0 for ${typeName(a)} maps, got ${a.mapExtra}`,
  rdwr: () => 'BPF_F_RDONLY and BPF_F_WRONLY together leave user space no access; give one of them (or neither)',
  flags: () => 'the flags are not valid for this operation; lookups take 0 or BPF_F_LOCK, updates BPF_ANY, BPF_NOEXIST or BPF_EXIST (optionally | BPF_F_LOCK)',
  lock: () => 'BPF_F_LOCK needs a value layout with a bpf_spin_lock field (declare spec.value with struct({ ..., lock: bpf_spin_lock }))',
  keylessbtf: (a) => `a ${mapTypeName(a.type)} map takes no value layout with a bpf_spin_lock (the kernel refuses BTF for its value); drop the lock field`,
  nullkey: (a) => `a ${mapTypeName(a.type) ?? 'keyless'} map has no keys: pass null as the key`,
  nokey: (a) => `the key is missing: pass ${a.keySize} bytes`,
  keysize: (a) => `the key must be a Uint8Array of exactly key_size = ${a.keySize} bytes`,
  numberkey: (a) => a.keySize === 4 || a.keySize === 8
    ? `a number key must be a non-negative integer that fits in ${a.keySize} bytes`
    : `number keys work for 4- and 8-byte keys only; pass ${a.keySize} bytes as a Uint8Array`,
  valuesize: (a, m) => m?.ops.percpu
    ? `a per-CPU value crosses the API as cpus x round_up(value_size, 8) = ${m.cpus} x ${roundUp8(a.valueSize)} = ${mapValueSize(m)} bytes`
    : `the value must be a Uint8Array of exactly value_size = ${a.valueSize} bytes`,
};

export function hintFor(attr: MapAttr, op: string, code: number, detail?: string, map?: BpfMapCore): string {
  if (detail !== undefined && DETAIL[detail]) return DETAIL[detail]!(attr, map);
  const errno = errnoName(code);
  const keyless = keylessHint(attr, op, errno) ?? trieHint(attr, op, errno) ?? fdMapHint(attr, op, errno);
  if (keyless !== undefined) return keyless;
  switch (op) {
    case 'BPF_MAP_CREATE':
      switch (errno) {
        case 'EINVAL': return createEinval(attr) ?? `the kernel rejects this spec (type ${mapTypeName(attr.type) ?? attr.type}, key ${attr.keySize}, value ${attr.valueSize}, max_entries ${attr.maxEntries}, flags 0x${attr.flags.toString(16)}${attr.name ? `, name '${attr.name}'` : ''}); check the sizes the type requires (arrays: key 4), that max_entries and value_size are not 0, that the flags suit the type, and that the name has at most ${BPF_OBJ_NAME_LEN - 1} characters of [A-Za-z0-9_.]`;
        case 'E2BIG': return 'the key or value is too large for this map type (per-CPU values are limited to 32768 bytes, hash key+value to 4 MiB), or a hash map asks for more than 2^27 = 134217728 max_entries; make it smaller';
        case 'ENOMEM': return 'the map is too large to allocate; lower max_entries or value_size';
        case 'EOPNOTSUPP': return 'a bpf_spin_lock is allowed only in hash and array map values (not per-CPU, LRU, queue, stack, bloom or ringbuf maps)';
        case 'EACCES': return 'a value with a bpf_spin_lock cannot be combined with BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG';
        case 'ENOTSUPP': return 'LRU maps are always preallocated: drop BPF_F_NO_PREALLOC';
        case 'EPERM': return 'this needs a capability the caller lacks';
      }
      break;
    case 'BPF_MAP_LOOKUP_ELEM':
    case 'BPF_MAP_LOOKUP_AND_DELETE_ELEM':
      if (errno === 'ENOENT') return isArray(attr) ? `the index is not below max_entries (${attr.maxEntries})` : 'no element has this key (or the container is empty)';
      if (errno === 'EPERM') return 'the map was created write-only (BPF_F_WRONLY) or is frozen';
      if (errno === 'ENOTSUPP') return `${mapTypeName(attr.type)} maps do not support this operation; read with lookup() instead`;
      break;
    case 'BPF_MAP_UPDATE_ELEM':
      switch (errno) {
        case 'E2BIG': return isArray(attr) ? `the index is not below max_entries (${attr.maxEntries})` : `the map is full (max_entries ${attr.maxEntries}); delete elements or create it with a larger maxEntries`;
        case 'EEXIST': return isArray(attr) ? 'every array element always exists, so BPF_NOEXIST always fails; use BPF_ANY or BPF_EXIST' : 'an element with this key exists and BPF_NOEXIST was given; use BPF_ANY or BPF_EXIST to replace it';
        case 'ENOENT': return 'no element has this key and BPF_EXIST was given; use BPF_ANY or BPF_NOEXIST to insert it';
        case 'EINVAL': return 'the flags are not valid: use BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2), plus BPF_F_LOCK (4) only for values with a bpf_spin_lock';
        case 'EPERM': return 'the map is read-only from user space (BPF_F_RDONLY, or frozen with freeze())';
        case 'ENOMEM': return 'the LRU found no element it could evict (every node is in flight on other CPUs); try again';
      }
      break;
    case 'BPF_MAP_DELETE_ELEM':
      if (errno === 'EINVAL') return 'array elements cannot be deleted; write zeros with update() instead';
      if (errno === 'ENOENT') return 'no element has this key';
      if (errno === 'EPERM') return 'the map is read-only from user space (BPF_F_RDONLY, or frozen)';
      break;
    case 'BPF_MAP_GET_NEXT_KEY':
      if (errno === 'ENOENT') return 'there is no next key: the walk is over (or the map is empty)';
      break;
    case 'BPF_MAP_FREEZE':
      if (errno === 'ENOTSUPP') return 'maps whose value holds a bpf_spin_lock cannot be frozen';
      if (errno === 'EPERM') return 'the map is already frozen or is read-only from user space';
      break;
  }
  return `the kernel returns ${errno} here`;
}

function typeName(attr: MapAttr): string {
  return mapTypeName(attr.type) ?? `type ${attr.type}`;
}

/** The map_flags bits by name, for messages. */
const FLAG_NAMES: [number, string][] = [
  [BPF_F_NO_PREALLOC, 'BPF_F_NO_PREALLOC'], [BPF_F_NO_COMMON_LRU, 'BPF_F_NO_COMMON_LRU'], [BPF_F_NUMA_NODE, 'BPF_F_NUMA_NODE'],
  [BPF_F_RDONLY, 'BPF_F_RDONLY'], [BPF_F_WRONLY, 'BPF_F_WRONLY'], [BPF_F_STACK_BUILD_ID, 'BPF_F_STACK_BUILD_ID'],
  [BPF_F_ZERO_SEED, 'BPF_F_ZERO_SEED'], [BPF_F_RDONLY_PROG, 'BPF_F_RDONLY_PROG'], [BPF_F_WRONLY_PROG, 'BPF_F_WRONLY_PROG'],
  [BPF_F_CLONE, 'BPF_F_CLONE'], [BPF_F_MMAPABLE, 'BPF_F_MMAPABLE'], [BPF_F_PRESERVE_ELEMS, 'BPF_F_PRESERVE_ELEMS'], [BPF_F_INNER_MAP, 'BPF_F_INNER_MAP'],
];

function flagNames(flags: number): string {
  const named = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  const unknown = FLAG_NAMES.reduce((rest, [bit]) => rest & ~bit, flags) >>> 0;
  if (unknown !== 0) named.push(`${named.length === 0 && (unknown & (unknown - 1)) === 0 ? 'an unknown bit' : 'unknown bits'}, 0x${unknown.toString(16)}`);
  return named.join(' | ');
}

/**
 * Which part of a spec a family's alloc check refused with EINVAL, read from the spec: the sizes
 * first, then the flags (the family checks both; only a spec that passes the sizes can be refused
 * for its flags alone). Undefined when none of these explains it.
 */
function createEinval(attr: MapAttr): string | undefined {
  const t = attr.type;
  if (attr.maxEntries === 0) return 'max_entries must be at least 1, got 0';
  if (isArray(attr) && attr.keySize !== 4) return `array maps take key_size 4 (the u32 index), got ${attr.keySize}`;
  const hashLike = t === BPF_MAP_TYPE_HASH || t === BPF_MAP_TYPE_PERCPU_HASH || t === BPF_MAP_TYPE_LRU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH;
  if (hashLike && attr.keySize === 0) return `${typeName(attr)} maps need a key: key_size must be at least 1, got 0`;
  if (attr.valueSize === 0) return 'value_size must be at least 1, got 0';
  if (attr.flags !== 0) return `the kernel refuses map_flags 0x${attr.flags.toString(16)} (${flagNames(attr.flags)}) for ${typeName(attr)} maps`;
  return undefined;
}

/** Advice for the keyless types (queue, stack, ring buffer, bloom filter), whose errors mean other things. */
function keylessHint(attr: MapAttr, op: string, errno: ErrnoName): string | undefined {
  const t = attr.type;
  if (t === BPF_MAP_TYPE_QUEUE || t === BPF_MAP_TYPE_STACK) {
    const kind = t === BPF_MAP_TYPE_QUEUE ? 'queue' : 'stack';
    switch (`${op} ${errno}`) {
      case 'BPF_MAP_CREATE EINVAL': return `${kind} maps need key_size 0, value_size > 0, max_entries > 0, and no flags but BPF_F_NUMA_NODE and the access flags (BPF_F_NO_PREALLOC is refused)`;
      case 'BPF_MAP_CREATE E2BIG': return `a ${kind} value may be at most 4 MiB (KMALLOC_MAX_SIZE)`;
      case 'BPF_MAP_UPDATE_ELEM E2BIG': return `the ${kind} is full (max_entries ${attr.maxEntries}); pop first, or push with BPF_EXIST to drop the oldest element`;
      case 'BPF_MAP_UPDATE_ELEM EINVAL': return 'a push takes BPF_ANY (0) or BPF_EXIST (2: drop the oldest element when full); BPF_NOEXIST and other flags are refused';
      case 'BPF_MAP_LOOKUP_ELEM ENOENT':
      case 'BPF_MAP_LOOKUP_AND_DELETE_ELEM ENOENT': return `the ${kind} is empty`;
      case 'BPF_MAP_DELETE_ELEM EINVAL': return `${kind} maps have no keys to delete; pop with lookupAndDelete(null)`;
      case 'BPF_MAP_GET_NEXT_KEY EINVAL': return `${kind} maps have no keys to walk; peek with lookup(null) or pop with lookupAndDelete(null)`;
    }
  } else if (t === BPF_MAP_TYPE_RINGBUF) {
    if (op === 'BPF_MAP_CREATE' && errno === 'EINVAL') {
      return 'ring buffer maps need key_size 0, value_size 0, max_entries a power-of-two multiple of the page size (4096, 8192, 16384, ...) and no flags but BPF_F_NUMA_NODE';
    }
    if (errno === 'ENOTSUPP') {
      return 'a ring buffer has no elements: programs write records with bpf_ringbuf_reserve()/bpf_ringbuf_submit() or bpf_ringbuf_output(), user space reads them with ringBuffer(map).consume()';
    }
  } else if (t === BPF_MAP_TYPE_BLOOM_FILTER) {
    switch (`${op} ${errno}`) {
      case 'BPF_MAP_CREATE EINVAL': return 'bloom filters need key_size 0, value_size > 0, max_entries > 0, map_extra 0..15 (the number of hash functions; 0 means 5) and no flags but BPF_F_NUMA_NODE, BPF_F_ZERO_SEED and the access flags';
      case 'BPF_MAP_CREATE E2BIG': return 'a bloom filter value may be at most 4 MiB (KMALLOC_MAX_SIZE)';
      case 'BPF_MAP_UPDATE_ELEM EINVAL': return 'a bloom filter push takes flags 0 (BPF_ANY) only';
      case 'BPF_MAP_LOOKUP_ELEM ENOENT': return 'the value is certainly not in the filter (pass the value to test as the third argument: lookup(null, 0, value))';
      case 'BPF_MAP_DELETE_ELEM EOPNOTSUPP':
      case 'BPF_MAP_GET_NEXT_KEY EOPNOTSUPP': return 'a bloom filter keeps no elements: values cannot be removed or listed';
      case 'BPF_MAP_LOOKUP_AND_DELETE_ELEM ENOTSUPP': return 'a bloom filter cannot pop; test membership with lookup(null, 0, value)';
    }
  }
  return undefined;
}

/** Advice for LPM tries, whose keys carry a prefix length. */
function trieHint(attr: MapAttr, op: string, errno: ErrnoName): string | undefined {
  if (attr.type !== BPF_MAP_TYPE_LPM_TRIE) return undefined;
  const bits = Math.max(0, attr.keySize - 4) * 8;
  switch (`${op} ${errno}`) {
    case 'BPF_MAP_CREATE EINVAL': return 'LPM tries need BPF_F_NO_PREALLOC, key_size 5 to 260 (a u32 prefix length and 1 to 256 data bytes), value_size 1 to 4194024, max_entries > 0, and no flags but BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE and the access flags';
    case 'BPF_MAP_LOOKUP_ELEM ENOENT': return `no prefix in the trie matches this key (a key's prefixlen above ${bits} matches nothing)`;
    case 'BPF_MAP_UPDATE_ELEM EINVAL':
    case 'BPF_MAP_DELETE_ELEM EINVAL': return `the key's prefixlen is above ${bits} (8 x its data bytes), or the flags are not BPF_ANY, BPF_NOEXIST or BPF_EXIST`;
    case 'BPF_MAP_UPDATE_ELEM ENOSPC': return `the trie holds max_entries (${attr.maxEntries}) prefixes: delete one first (replacing a prefix that is there works even when full)`;
    case 'BPF_MAP_UPDATE_ELEM EEXIST': return 'this exact prefix is in the trie and BPF_NOEXIST was given';
    case 'BPF_MAP_UPDATE_ELEM ENOENT': return 'this exact prefix is not in the trie and BPF_EXIST was given';
    case 'BPF_MAP_UPDATE_ELEM ENOMEM': return 'the trie\'s node pool is used up (it is capped at 256 MiB): create the trie with a smaller max_entries or value_size';
    case 'BPF_MAP_DELETE_ELEM ENOENT': return 'no element has exactly this prefix (delete takes the prefix as it was inserted, not an address it matches)';
  }
  return undefined;
}

/** Advice for the maps whose values are objects: prog arrays, perf event arrays, maps of maps. */
function fdMapHint(attr: MapAttr, op: string, errno: ErrnoName): string | undefined {
  const t = attr.type;
  const kind = t === BPF_MAP_TYPE_PROG_ARRAY ? 'program' : t === BPF_MAP_TYPE_PERF_EVENT_ARRAY ? 'perf event'
    : t === BPF_MAP_TYPE_ARRAY_OF_MAPS || t === BPF_MAP_TYPE_HASH_OF_MAPS ? 'inner map' : undefined;
  if (kind === undefined) return undefined;
  const isHash = t === BPF_MAP_TYPE_HASH_OF_MAPS;
  switch (`${op} ${errno}`) {
    case 'BPF_MAP_CREATE EINVAL':
      if (kind === 'inner map') {
        return `a ${mapTypeName(t)} map needs key_size ${isHash ? '> 0' : '4'}, value_size 4, max_entries > 0, no BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG${isHash ? '' : ', BPF_F_MMAPABLE or BPF_F_INNER_MAP'}, and spec.innerMap: a created map (or a map spec) that is not itself a map of maps`;
      }
      return `a ${mapTypeName(t)} map needs key_size 4, value_size 4 (a ${kind} id), max_entries > 0, and no BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_MMAPABLE or BPF_F_INNER_MAP${t === BPF_MAP_TYPE_PERF_EVENT_ARRAY ? '' : ' (BPF_F_PRESERVE_ELEMS is for perf event arrays)'}`;
    case 'BPF_MAP_CREATE EBADF': return 'the inner map template is not a map that exists';
    case 'BPF_MAP_CREATE ENOTSUPP': return 'this map type cannot be an inner map (prog arrays cannot)';
    case 'BPF_MAP_LOOKUP_ELEM ENOTSUPP': return 'a perf event array has no values to read back: programs write to it with bpf_perf_event_output(), user space reads the per-CPU perf buffers (perfBuffer(map))';
    case 'BPF_MAP_LOOKUP_ELEM ENOENT': return isHash ? 'no inner map has this key' : `the slot is empty or the index is not below max_entries (${attr.maxEntries})`;
    case 'BPF_MAP_UPDATE_ELEM EBADF': return `the value is no ${kind} id (no such object): pass the ${kind} itself, or its id as 4 bytes`;
    case 'BPF_MAP_UPDATE_ELEM EINVAL':
      if (kind === 'program') return 'the flags must be BPF_ANY, and the value a program id of the same program type as the programs already in (or using) this array';
      if (kind === 'inner map') return `the value must be the id of a map that matches the inner map template (type, key and value size, flags${isHash ? '' : ', and max_entries unless the template has BPF_F_INNER_MAP'})${isHash ? '' : ', and the flags BPF_ANY'}`;
      return 'the flags must be BPF_ANY';
    case 'BPF_MAP_UPDATE_ELEM E2BIG': return isHash ? `the map is full (max_entries ${attr.maxEntries})` : `the index is not below max_entries (${attr.maxEntries})`;
    case 'BPF_MAP_UPDATE_ELEM EOPNOTSUPP': return 'this perf event cannot be read from a program (an inherited event)';
    case 'BPF_MAP_DELETE_ELEM ENOENT': return isHash ? 'no inner map has this key' : 'the slot is already empty';
    case 'BPF_MAP_DELETE_ELEM E2BIG': return `the index is not below max_entries (${attr.maxEntries})`;
    case 'BPF_MAP_LOOKUP_AND_DELETE_ELEM ENOTSUPP': return `${mapTypeName(t)} maps have no lookup-and-delete; look up, then delete`;
  }
  return undefined;
}
