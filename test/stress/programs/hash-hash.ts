// Stress program module: the hash-map stress on a HASH map (see hash-common.ts).
import { hashStressProgram } from './hash-common.js';
import { HASH_LIMITS } from './limits.js';
export default hashStressProgram('hash', HASH_LIMITS.maxEntries['hash'], HASH_LIMITS.maxOpsPerCpu, HASH_LIMITS.maxCpus);
