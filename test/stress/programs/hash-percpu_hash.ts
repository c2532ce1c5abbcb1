// Stress program module: the hash-map stress on a PERCPU_HASH map (see hash-common.ts).
import { hashStressProgram } from './hash-common.js';
import { HASH_LIMITS } from './limits.js';
export default hashStressProgram('percpu_hash', HASH_LIMITS.maxEntries['percpu_hash'], HASH_LIMITS.maxOpsPerCpu, HASH_LIMITS.maxCpus);
