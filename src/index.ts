// percpu-maps: Linux eBPF maps simulated on Node.js worker threads. The public API: what a user
// needs, by name (every error a call may throw among it); nothing of the internals.

// Maps: the user-space face (libbpf-like, raw bytes), constants, errors.
export { BpfMap, createMap, declareMap, openMap } from './maps/syscall.js';
export type { MapSpec, MapAttr, MapHandle, CreateOptions, MapInfo, Key, ValueSource, InnerMapMeta } from './maps/bpf.js';
export { dumpMap, formatDump } from './maps/dump.js';
export type { DumpEntry } from './maps/dump.js';
export { BpfError, ERRNO, STRERROR, errnoName } from './maps/errno.js';
export type { ErrnoName } from './maps/errno.js';
export { BatchError } from './maps/batch.js';
export type { BatchOptions, BatchResult } from './maps/batch.js';

// The uapi (include/uapi/linux/bpf.h): map types, element flags, creation flags.
export {
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_BLOOM_FILTER,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
  MAP_TYPE_NAMES, mapTypeName, BPF_F_INDEX_MASK, BPF_F_CURRENT_CPU, MAX_TAIL_CALL_CNT,
  BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK,
  BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_STACK_BUILD_ID, BPF_F_ZERO_SEED,
  BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_CLONE, BPF_F_MMAPABLE, BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP,
  BPF_OBJ_NAME_LEN,
} from './maps/uapi.js';
export type { MapTypeName } from './maps/uapi.js';

// Value layouts and views.
export { struct, array, u8, s8, u16, s16, u32, s32, u64, s64, bpf_spin_lock, ValueView, SharedMemory } from './maps/layout.js';
export type { StructLayout, StructView, Field, FieldType } from './maps/layout.js';

// The program face: kernel helpers, spin lock, atomics.
export {
  bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem, bpf_map_lookup_percpu_elem,
  bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem,
  bpf_get_smp_processor_id, bpf_ktime_get_ns, bpf_get_current_pid_tgid, tgidOf, pidOf, bpf_get_current_comm, bpf_trace_printk,
} from './maps/helpers.js';
export { NotOnCpuError } from './smp/smp.js';
export { bpf_spin_unlock, SpinLockWord, SpinLockError, setSpinLockMode } from './sync/spinlock.js';
export type { SpinLockMode, SpinLockFault } from './sync/spinlock.js';
export { __sync_fetch_and_add, __sync_lock_test_and_set, __sync_val_compare_and_swap, READ_ONCE, WRITE_ONCE } from './sync/atomics.js';

// CPUs and the coordinator.
export { Runtime } from './cpu/runtime.js';
export type { RuntimeOptions, RunOptions, RunResult, CpuRun, LoadedProgram, LoadedObject, TestRunResult } from './cpu/runtime.js';
export type { TestRunInput, TestRunErrno } from './cpu/test-run.js';
export { defineProgram, ProgramDefinitionError } from './cpu/program.js';
export type { ProgramDefinition, Program, ProbeContext, Handler } from './cpu/program.js';
export {
  HandlerError, LockError, ProgramFaultError, CpuDiedError, ProgramLoadError, RunError, TestRunError, KernelVerifierError, KernelUnavailableError,
} from './cpu/errors.js';
export { VerifierError } from './cpu/verifier.js';
export type { VerifierFinding } from './cpu/verifier.js';

// Real eBPF objects (clang -target bpf): the loader (libbpf's side) and the options of Runtime.loadObject.
export { openObject, openObjectFile, ObjectError, rawObject, verifyInKernel, kernelAvailability } from './object/index.js';
export type { BpfObject, ObjectMap, ObjectProgram, ProgramType, LineInfo, RawMap, RawProgram, KernelVerdict, KernelPath, KernelAvailability } from './object/index.js';
export type { ObjectLoadOptions } from './cpu/object.js';

// The race lab.
export { runRace, STRATEGIES } from './workloads/race/index.js';
export type { RaceOptions, RaceRow, Strategy } from './workloads/race/index.js';

// Ring buffers: the program helpers and the coordinator's consumer.
export { bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_query } from './maps/ringbuf-helpers.js';
export { RingBuffer, ringBuffer, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP, BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS } from './maps/ringbuf.js';
export type { RingBufferSampleFn } from './maps/ringbuf.js';

// Perf event arrays: the program helper, the perf events and the coordinator's per-CPU reader.
export { bpf_perf_event_output } from './maps/bpf-trace.js';
export { openPerfEvent, PerfEvent, PerfEventError, PERF_RECORD_SAMPLE, PERF_RECORD_LOST } from './maps/perf-event.js';
export type { PerfEventOptions, PerfEventHandle, PerfEventConfig } from './maps/perf-event.js';
export { PerfBuffer, perfBuffer } from './maps/perf-buffer.js';
export type { PerfBufferOptions, PerfCpuBuffer, PerfSampleFn, PerfLostFn } from './maps/perf-buffer.js';

// Prog arrays: tail calls (a handler returns what a successful bpf_tail_call gives), and running a program.
export { bpf_tail_call, bpfProgRun, TAIL_CALL, TailCallError } from './maps/tail-call.js';
export type { TailCall } from './maps/tail-call.js';
export type { BpfProg } from './maps/idr.js';
export type { ProgramRef } from './cpu/runtime.js';

// Hash and LRU maps: where every element and node is, for tests and statistics.
export { htabStats } from './maps/hashtab.js';
export type { HtabStats } from './maps/hashtab.js';
export { lruStats } from './maps/lru-hash.js';
export type { LruStats } from './maps/lru-hash.js';
export { lpmStats } from './maps/lpm-trie.js';
export type { LpmStats } from './maps/lpm-trie.js';
