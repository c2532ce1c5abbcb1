// Constants of the Linux eBPF uapi (include/uapi/linux/bpf.h) that the map runtime uses.

// enum bpf_map_type: the numbers the kernel uses, and bpftool's names for them.
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_LRU_HASH = 9;
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
export const BPF_MAP_TYPE_QUEUE = 22;
export const BPF_MAP_TYPE_STACK = 23;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_MAP_TYPE_BLOOM_FILTER = 30;

export const MAP_TYPE_NAMES = {
  hash: BPF_MAP_TYPE_HASH,
  array: BPF_MAP_TYPE_ARRAY,
  percpu_hash: BPF_MAP_TYPE_PERCPU_HASH,
  percpu_array: BPF_MAP_TYPE_PERCPU_ARRAY,
  lru_hash: BPF_MAP_TYPE_LRU_HASH,
  lru_percpu_hash: BPF_MAP_TYPE_LRU_PERCPU_HASH,
  queue: BPF_MAP_TYPE_QUEUE,
  stack: BPF_MAP_TYPE_STACK,
  ringbuf: BPF_MAP_TYPE_RINGBUF,
  bloom_filter: BPF_MAP_TYPE_BLOOM_FILTER,
} as const;

export type MapTypeName = keyof typeof MAP_TYPE_NAMES;

/** bpftool's name of a map type number, or undefined for a type we do not know. */
export function mapTypeName(type: number): MapTypeName | undefined {
  for (const [name, id] of Object.entries(MAP_TYPE_NAMES)) if (id === type) return name as MapTypeName;
  return undefined;
}

// Element-operation flags (BPF_MAP_UPDATE_ELEM and friends).
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

// Map-creation flags (map_flags of BPF_MAP_CREATE).
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;

/** BPF_OBJ_NAME_LEN: a map name is at most 15 characters plus its NUL. */
export const BPF_OBJ_NAME_LEN = 16;
