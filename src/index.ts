// percpu-maps: Linux eBPF maps simulated on Node.js worker threads. The public API.

// Maps: the user-space face (libbpf-like, raw bytes), constants, errors.
export { BpfMap, createMap, declareMap, openMap } from './maps/syscall.js';
export type { MapSpec, MapAttr, MapHandle, CreateOptions, MapInfo } from './maps/bpf.js';
export { dumpMap, formatDump } from './maps/dump.js';
export type { DumpEntry } from './maps/dump.js';
export { BpfError, ERRNO, STRERROR, errnoName } from './maps/errno.js';
export type { ErrnoName } from './maps/errno.js';
export * from './maps/uapi.js';

// Value layouts and views.
export { struct, array, u8, s8, u16, s16, u32, s32, u64, s64, bpf_spin_lock, ValueView, SharedMemory } from './maps/layout.js';
export type { StructLayout, StructView, Field, FieldType } from './maps/layout.js';
export type { Key, ValueSource } from './maps/bpf.js';

// The program face: kernel helpers, spin lock, atomics.
export {
  bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem, bpf_map_lookup_percpu_elem,
  bpf_get_smp_processor_id, bpf_ktime_get_ns, bpf_get_current_pid_tgid, bpf_get_current_comm, bpf_trace_printk,
} from './maps/helpers.js';
export { bpf_spin_unlock, SpinLockWord, setSpinLockMode } from './sync/spinlock.js';
export type { SpinLockMode } from './sync/spinlock.js';
export { __sync_fetch_and_add, __sync_lock_test_and_set, __sync_val_compare_and_swap } from './sync/atomics.js';
export { bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem } from './maps/helpers.js';

// CPUs and the coordinator.
export { Runtime } from './cpu/runtime.js';
export type { RuntimeOptions, RunOptions, RunResult, CpuRun, LoadedProgram } from './cpu/runtime.js';
export { defineProgram } from './cpu/program.js';
export type { ProgramDefinition, Program, ProbeContext, Handler } from './cpu/program.js';
export { HandlerError, CpuDiedError, ProgramLoadError, RunError } from './cpu/errors.js';
export { READ_ONCE, WRITE_ONCE } from './sync/atomics.js';

// The race lab.
export { runRace, STRATEGIES } from './workloads/race/index.js';
export type { RaceOptions, RaceRow, Strategy } from './workloads/race/index.js';

// Ring buffers: the program helpers and the coordinator's consumer.
export { bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_query } from './maps/ringbuf-helpers.js';
export { RingBuffer, ringBuffer, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP, BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS } from './maps/ringbuf.js';
export type { RingBufferSampleFn } from './maps/ringbuf.js';

// Hash maps: where every element is (linked, free, extra), for tests and the race lab.
export { htabStats } from './maps/hashtab.js';
export type { HtabStats } from './maps/hashtab.js';

// LRU maps: where every node is; batch commands' results and errors.
export { lruStats } from './maps/lru-hash.js';
export type { LruStats } from './maps/lru-hash.js';
export { BatchError } from './maps/batch.js';
export type { BatchOptions, BatchResult } from './maps/batch.js';
