// Constants of the Linux eBPF uapi (include/uapi/linux/bpf.h) that the map runtime uses.

// enum bpf_map_type: the numbers the kernel uses, and bpftool's names for them.
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_LRU_HASH = 9;
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
export const BPF_MAP_TYPE_LPM_TRIE = 11;
export const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
export const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
export const BPF_MAP_TYPE_QUEUE = 22;
export const BPF_MAP_TYPE_STACK = 23;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_MAP_TYPE_BLOOM_FILTER = 30;

export const MAP_TYPE_NAMES = {
  hash: BPF_MAP_TYPE_HASH,
  array: BPF_MAP_TYPE_ARRAY,
  percpu_hash: BPF_MAP_TYPE_PERCPU_HASH,
  prog_array: BPF_MAP_TYPE_PROG_ARRAY,
  perf_event_array: BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  percpu_array: BPF_MAP_TYPE_PERCPU_ARRAY,
  lru_hash: BPF_MAP_TYPE_LRU_HASH,
  lru_percpu_hash: BPF_MAP_TYPE_LRU_PERCPU_HASH,
  lpm_trie: BPF_MAP_TYPE_LPM_TRIE,
  array_of_maps: BPF_MAP_TYPE_ARRAY_OF_MAPS,
  hash_of_maps: BPF_MAP_TYPE_HASH_OF_MAPS,
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

/** The map types whose values are references to other objects (the kernel's IS_FD_MAP()). */
export function isFdMapType(type: number): boolean {
  return type === BPF_MAP_TYPE_PROG_ARRAY || type === BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
    type === BPF_MAP_TYPE_ARRAY_OF_MAPS || type === BPF_MAP_TYPE_HASH_OF_MAPS;
}

/** Map-in-map types: a value is another map (an inner map of the outer map's template). */
export function isMapInMapType(type: number): boolean {
  return type === BPF_MAP_TYPE_ARRAY_OF_MAPS || type === BPF_MAP_TYPE_HASH_OF_MAPS;
}

// bpf_perf_event_output() flags: the low 32 bits pick the perf event array's index.
export const BPF_F_INDEX_MASK = 0xffffffff;
/** The index meaning "this CPU's slot". */
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;

/** include/linux/bpf.h: the most tail calls one run of a program may make (34 programs in all). */
export const MAX_TAIL_CALL_CNT = 33;

// enum bpf_prog_type: the program types a prog array's owner is compared by.
export const BPF_PROG_TYPE_SOCKET_FILTER = 1;
export const BPF_PROG_TYPE_KPROBE = 2;
export const BPF_PROG_TYPE_SCHED_CLS = 3;
export const BPF_PROG_TYPE_TRACEPOINT = 5;
export const BPF_PROG_TYPE_XDP = 6;
export const BPF_PROG_TYPE_PERF_EVENT = 7;
export const BPF_PROG_TYPE_CGROUP_SKB = 8;
export const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;
export const BPF_PROG_TYPE_TRACING = 26;
export const BPF_PROG_TYPE_LSM = 29;

/** The program type of a libbpf SEC() prefix ('kprobe', 'tc', ...), or undefined for one we do not know. */
export function progTypeOfSection(prefix: string): number | undefined {
  switch (prefix) {
    case 'kprobe': case 'kretprobe': case 'uprobe': case 'uretprobe': case 'usdt': return BPF_PROG_TYPE_KPROBE;
    case 'tracepoint': case 'tp': return BPF_PROG_TYPE_TRACEPOINT;
    case 'raw_tracepoint': case 'raw_tp': return BPF_PROG_TYPE_RAW_TRACEPOINT;
    case 'tp_btf': case 'fentry': case 'fexit': return BPF_PROG_TYPE_TRACING;
    case 'lsm': return BPF_PROG_TYPE_LSM;
    case 'perf_event': return BPF_PROG_TYPE_PERF_EVENT;
    case 'xdp': return BPF_PROG_TYPE_XDP;
    case 'tc': case 'classifier': return BPF_PROG_TYPE_SCHED_CLS;
    case 'socket': return BPF_PROG_TYPE_SOCKET_FILTER;
    case 'cgroup_skb': return BPF_PROG_TYPE_CGROUP_SKB;
    default: return undefined;
  }
}
