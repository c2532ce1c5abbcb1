// The translator (the kernel JIT's side): relocated eBPF instructions -> a WebAssembly module run on
// the simulated CPUs over the object's shared memory. See plan/objects.md for the contract.
export { insnAtOffset, translateProgram } from './translate.js';
export type { CodeMap, HashLookup, JitMap, TranslateInput, TranslatedProgram } from './types.js';
export { DEFAULT_LOOP_BUDGET } from './types.js';
export { FAULT_KINDS, HELPERS, JitError, helperInfo } from './isa.js';
export type { HelperInfo, ReturnKind } from './isa.js';
export { ctxAccessEnd } from './ctx-access.js';
