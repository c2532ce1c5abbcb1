// A translated program stopped by a fault: what its code or one of its helpers found wrong, at
// which instruction. Thrown inside a CPU worker (through the WebAssembly code), caught by the
// worker's run and reported as the run's failure with the instruction's source line.

import { FAULT_KINDS } from '../jit/index.js';

/** Faults found by the helpers (the translator's own kinds are 1-9, see jit's FAULT_KINDS). */
export const FAULT_HELPER_ARG = 100;

export class ProgramFault extends Error {
  override name = 'ProgramFault';
  readonly kind: number;
  /** The instruction index (in the linked program) where it happened. */
  readonly pc: number;
  readonly addr: number;
  constructor(kind: number, pc: number, addr: number, message?: string) {
    super(message ?? faultMessage(kind, addr));
    this.kind = kind;
    this.pc = pc;
    this.addr = addr;
  }
}

function faultMessage(kind: number, addr: number): string {
  const k = FAULT_KINDS[kind];
  if (k === undefined) return `fault ${kind}`;
  const at = k.addr === '0' ? '' : ` (${k.addr}: 0x${(addr >>> 0).toString(16)})`;
  return `${k.message}${at}`;
}
