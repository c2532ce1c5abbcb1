// Which ops table serves which map type (the kernel's include/linux/bpf_types.h).

import type { BpfMapOps } from './bpf.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY } from './uapi.js';
import { arrayMapOps, percpuArrayMapOps } from './arraymap.js';
import { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH } from './uapi.js';
import { htabMapOps, htabPercpuMapOps } from './hashtab.js';
import { BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK } from './uapi.js';
import { queueMapOps, stackMapOps } from './queue-stack.js';
import { BPF_MAP_TYPE_RINGBUF } from './uapi.js';
import { ringbufMapOps } from './ringbuf.js';
import { BPF_MAP_TYPE_BLOOM_FILTER } from './uapi.js';
import { bloomFilterMapOps } from './bloom-filter.js';
import { BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH } from './uapi.js';
import { htabLruMapOps, htabLruPercpuMapOps } from './lru-hash.js';
import { BPF_MAP_TYPE_LPM_TRIE } from './uapi.js';
import { trieMapOps } from './lpm-trie.js';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY } from './uapi.js';
import { arrayOfMapsMapOps, perfEventArrayMapOps, progArrayMapOps } from './fd-array.js';
import { BPF_MAP_TYPE_HASH_OF_MAPS } from './uapi.js';
import { htabOfMapsMapOps } from './map-in-map.js';

const registry = new Map<number, BpfMapOps>([
  [BPF_MAP_TYPE_ARRAY, arrayMapOps],
  [BPF_MAP_TYPE_PERCPU_ARRAY, percpuArrayMapOps],
  [BPF_MAP_TYPE_HASH, htabMapOps],
  [BPF_MAP_TYPE_PERCPU_HASH, htabPercpuMapOps],
  [BPF_MAP_TYPE_QUEUE, queueMapOps],
  [BPF_MAP_TYPE_STACK, stackMapOps],
  [BPF_MAP_TYPE_RINGBUF, ringbufMapOps],
  [BPF_MAP_TYPE_BLOOM_FILTER, bloomFilterMapOps],
  [BPF_MAP_TYPE_LRU_HASH, htabLruMapOps],
  [BPF_MAP_TYPE_LRU_PERCPU_HASH, htabLruPercpuMapOps],
  [BPF_MAP_TYPE_LPM_TRIE, trieMapOps],
  [BPF_MAP_TYPE_PROG_ARRAY, progArrayMapOps],
  [BPF_MAP_TYPE_PERF_EVENT_ARRAY, perfEventArrayMapOps],
  [BPF_MAP_TYPE_ARRAY_OF_MAPS, arrayOfMapsMapOps],
  [BPF_MAP_TYPE_HASH_OF_MAPS, htabOfMapsMapOps],
]);

export function mapOpsFor(type: number): BpfMapOps | undefined {
  return registry.get(type);
}
