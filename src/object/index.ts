// The loader's public surface (libbpf's side of issue 14): open an eBPF object, get its maps and
// linked programs. src/index.ts re-exports what users may catch or read.
export { openObject, lineOf } from './object.js';
export { openObjectFile, objectNameOf } from './file.js';
export { ObjectError } from './errors.js';
export { rawObject } from './raw.js';
export type { RawMap, RawProgram } from './raw.js';
export { Btf } from './btf.js';
export type { BtfType, BtfKind, BtfMember, ValueField } from './btf.js';
export type { BpfObject, ObjectMap, ObjectProgram, ProgramType, LineInfo, OpenOptions } from './types.js';
export { kernelAvailability, kernelPathOf, KernelLoader, verifyInKernel } from './kernel/kernel.js';
export type { KernelAvailability, KernelPath, KernelVerdict, KernelVerifyOptions } from './kernel/kernel.js';
