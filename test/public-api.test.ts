// The public entry (src/index.ts) as a contract: every error class a caller of the runtime, the maps
// or the loader can receive is importable from 'percpu-maps', and the kernel's internal sizing
// constants are not (they are the map layer's business, not a user's).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('the public entry', () => {
  it('exports every error class a user may catch, each a subclass of Error', () => {
    const errors = Object.entries(api).filter(([k]) => k.endsWith('Error')).map(([k, v]) => [k, typeof v === 'function' && v.prototype instanceof Error]);
    expect(Object.fromEntries(errors)).toEqual({
      BatchError: true, BpfError: true, CpuDiedError: true, HandlerError: true, KernelUnavailableError: true,
      KernelVerifierError: true, LockError: true, NotOnCpuError: true, ObjectError: true, PerfEventError: true,
      ProgramDefinitionError: true, ProgramFaultError: true, ProgramLoadError: true, RunError: true,
      SpinLockError: true, TailCallError: true, TestRunError: true, VerifierError: true,
    });
  });

  it('keeps the subclass relations a catch clause relies on', () => {
    expect([
      api.LockError.prototype instanceof api.HandlerError,
      api.ProgramFaultError.prototype instanceof api.HandlerError,
      api.TestRunError.prototype instanceof api.RunError,
      api.BatchError.prototype instanceof api.BpfError,
      api.VerifierError.prototype instanceof api.ProgramLoadError,
      api.KernelVerifierError.prototype instanceof api.ProgramLoadError,
      api.KernelUnavailableError.prototype instanceof api.ProgramLoadError,
    ]).toEqual([true, true, true, true, true, true, true]);
  });

  it('does not export the map layer\'s internal sizes', () => {
    expect(['KMALLOC_MAX_SIZE', 'HTAB_ELEM_SIZE', 'roundUp8', 'MAX_MAP_BYTES', 'PCPU_MIN_UNIT_SIZE'].filter((k) => k in api)).toEqual([]);
  });
});
