// translateProgram: relocated BPF instructions -> one WebAssembly module (plan/objects.md, "The
// translator"). Passes, as the kernel's JIT does them, one concern each: decode and check every
// opcode; scan what the program uses (helpers, maps, calls, locks) so imports can be numbered
// before code; split each function into blocks; lay out the module; emit the event loop with the
// main program inlined, then each sub-program as a function; compile.
//
// Module shape (imports from "env", only those the program needs; see layout.ts for the indices):
//   memory (shared, initial = maximum = pages); globals cpu stackTop ctx, scratch (imported helpers),
//   lockTag (spin lock), regions (checked mode), pidBase pids (mutable; get_current_pid_tgid);
//   funcs fault onReturn, spinLockSlow (spin lock), tailSub (tail calls in sub-programs), h<id> per imported helper
//   own globals: event, held (spin lock), rng (prandom), budget (loops), last region (checked),
//   frame (r10 of the next run(): 0 for the stack top; a sub-program's frame for a tail call made in it)
//   run(from, to) -> events done: for each event: $event = i, r1 = ctx, body, return tracking; it
//   returns early, before the event of a bpf_tail_call that jumped (the runtime runs the target)
//   one function per sub-program: (r1..r5 i64, fp i32) -> r0 i64
//   exports: run, event (the current event index, for JS after a fault or trap), held (the lock
//   word address held, 0 if none; only with spin locks, for a runtime releasing it after a trap)

import { type Cfg, type Ctx, buildCfg, emitStructured } from './cfg.js';
import { emitRelease, inlinableLookup, knownCallback } from './call.js';
import { FnEmitter } from './emitter.js';
import { InsnSink } from './sink.js';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_FETCH, BPF_JMP, BPF_LD, BPF_LDX, BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BPF_STX, FAULT_BAD_ACCESS, HELPER_GET_CURRENT_PID_TGID, HELPER_GET_PRANDOM_U32,
  HELPER_LOOP, HELPER_MAP_LOOKUP_ELEM, HELPER_SPIN_LOCK, HELPER_SPIN_UNLOCK, HELPER_TAIL_CALL, type Insn, JitError, MAX_FRAMES, STACK_FRAME, decode, helperInfo, hexByte, opcodeProblem,
} from './isa.js';
import { type RegState, entryStates, forEachWithState } from './known.js';
import type { Layout } from './layout.js';
import { emitForgetRegion } from './mem.js';
import { DEFAULT_LOOP_BUDGET, type CodeMap, type TranslateInput, type TranslatedProgram } from './types.js';
import { Code, I32, I64, ModuleBuilder, Op, type ValType } from './wasm.js';

/** V8's limit on one function's code (kV8MaxWasmFunctionSize). */
const V8_MAX_FUNCTION_BYTES = 7_654_321;

/** The register an instruction writes besides through calls (r0..r5), or -1. */
function writtenRegister(insn: Insn): number {
  const cls = insn.code & 7;
  if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX || (cls === BPF_LD && insn.wide)) return insn.dst;
  if (cls === BPF_STX && (insn.code & 0xe0) === BPF_ATOMIC) {
    if (insn.imm === BPF_CMPXCHG) return 0;
    if ((insn.imm & BPF_FETCH) !== 0) return insn.src;
  }
  return -1;
}

function checkInput(input: TranslateInput): string {
  const program = typeof input.name === 'string' && input.name !== '' ? input.name : '(unnamed program)';
  const bad = (reason: string): never => {
    throw new JitError(program, -1, reason);
  };
  if (!(input.insns instanceof Uint8Array) || input.insns.length === 0) bad('no instructions (insns must be a non-empty Uint8Array of 8-byte instructions)');
  if (!Number.isInteger(input.pages) || input.pages < 1 || input.pages > 65536) {
    bad(`pages ${input.pages}: the memory's size must be 1..65536 pages of 64 KiB`);
  }
  if (!Array.isArray(input.maps)) bad('maps must be an array (by map index)');
  if (!Array.isArray(input.funcs)) bad('funcs must be an array ({ name, start } with the main program at start 0)');
  const budget = input.loopBudget ?? DEFAULT_LOOP_BUDGET;
  if (!Number.isInteger(budget) || budget < 0 || budget > 0x7fffffff) bad(`loopBudget ${budget}: must be an integer 0..2^31-1`);
  return program;
}

export function translateProgram(input: TranslateInput): TranslatedProgram {
  const program = checkInput(input);
  const slots = decode(program, input.insns);
  const n = slots.length;
  for (const insn of slots) {
    if (insn === undefined) continue;
    const problem = opcodeProblem(insn);
    if (problem !== null) throw new JitError(program, insn.pc, `opcode ${hexByte(insn.code)}: ${problem}`);
  }

  // Functions: [start_k, start_k+1) each; the main program at 0.
  const funcs = (input.funcs.length > 0 ? [...input.funcs] : [{ name: program, start: 0 }]).sort((a, b) => a.start - b.start);
  if (funcs[0]!.start !== 0) throw new JitError(program, -1, `funcs: no function starts at instruction 0 (the main program)`);
  const funcAt = new Map<number, number>();
  funcs.forEach((fn, k) => {
    if (!Number.isInteger(fn.start) || fn.start < 0 || fn.start >= n || slots[fn.start] === undefined) {
      throw new JitError(program, -1, `funcs: '${fn.name}' starts at ${fn.start}, not an instruction of the ${n}`);
    }
    if (funcAt.has(fn.start)) throw new JitError(program, -1, `funcs: two functions start at ${fn.start}`);
    funcAt.set(fn.start, k);
  });
  const end = (k: number): number => (k + 1 < funcs.length ? funcs[k + 1]!.start : n);

  // What the program uses.
  const maps = input.maps;
  const policy = input.unknownHelpers ?? 'fault';
  const helpersUsed = new Set<number>();
  const unknownHelpers = new Set<number>();
  const targeted = new Set<number>();
  for (const insn of slots) {
    if (insn === undefined) continue;
    const pc = insn.pc;
    if (writtenRegister(insn) === 10) throw new JitError(program, pc, 'writes r10, the read-only frame pointer');
    if (insn.wide) {
      const s = insn.src;
      if (s === BPF_PSEUDO_MAP_FD || s === BPF_PSEUDO_MAP_IDX || s === BPF_PSEUDO_MAP_VALUE || s === BPF_PSEUDO_MAP_IDX_VALUE) {
        const map = maps[insn.imm];
        if (map === undefined) throw new JitError(program, pc, `ld_imm64 of map ${insn.imm}, but there are ${maps.length} maps`);
        if ((s === BPF_PSEUDO_MAP_VALUE || s === BPF_PSEUDO_MAP_IDX_VALUE) && map.valueAddr === undefined) {
          throw new JitError(program, pc, `ld_imm64 of a value of map ${insn.imm}, which has no directly addressable value (valueAddr)`);
        }
      } else if (s === BPF_PSEUDO_FUNC) {
        const k = funcAt.get(pc + insn.imm + 1);
        if (k === undefined) throw new JitError(program, pc, `ld_imm64 of a function at ${pc + insn.imm + 1}, which is not the start of one of funcs`);
        targeted.add(k);
      }
    } else if (insn.code === (BPF_JMP | BPF_CALL)) {
      if (insn.src === BPF_PSEUDO_CALL) {
        const k = funcAt.get(pc + insn.imm + 1);
        if (k === undefined) throw new JitError(program, pc, `call to ${pc + insn.imm + 1}, which is not the start of one of funcs`);
        targeted.add(k);
      } else if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
        throw new JitError(program, pc, `call of kernel function (kfunc) BTF id ${insn.imm}: kfuncs are not supported`);
      } else if (insn.src !== 0) {
        throw new JitError(program, pc, `call with src_reg ${insn.src} (0 helper, 1 bpf-to-bpf)`);
      } else if (helperInfo(insn.imm) === undefined) {
        if (policy === 'refuse') throw new JitError(program, pc, `call of unknown helper ${insn.imm}`);
        unknownHelpers.add(insn.imm);
      } else helpersUsed.add(insn.imm);
    }
  }
  for (let k = 1; k < funcs.length; k++) targeted.add(k);

  const cfgs: Cfg[] = funcs.map((fn, k) => buildCfg(program, slots, fn.start, end(k)));
  const entries = cfgs.map((cfg) => entryStates(cfg, funcAt));
  const needsBudget = cfgs.some((c) => !c.reducible || c.loopHeader.some(Boolean));
  const usesLocks = helpersUsed.has(HELPER_SPIN_LOCK) || helpersUsed.has(HELPER_SPIN_UNLOCK);
  // Lookups on a known array map are inlined, and known bpf_loop callbacks called directly: h1 and
  // the table of sub-programs are only there when some call needs them.
  let lookupImported = false;
  let indirectCallback = false;
  cfgs.forEach((cfg, k) =>
    forEachWithState(cfg, entries[k]!, funcAt, (insn, st) => {
      if (insn.code !== (BPF_JMP | BPF_CALL) || insn.src !== 0) return;
      if (insn.imm === HELPER_MAP_LOOKUP_ELEM && inlinableLookup(maps, st) < 0) lookupImported = true;
      if (insn.imm === HELPER_LOOP && knownCallback(st) < 0) indirectCallback = true;
    }),
  );
  const imported = [...helpersUsed]
    .filter((id) => helperInfo(id)!.how === 'import' && (id !== HELPER_MAP_LOOKUP_ELEM || lookupImported))
    .sort((a, b) => a - b);

  // ---- Module layout ----
  const m = new ModuleBuilder();
  const tFault = m.type([I32, I32, I32], []);
  const tSlow = m.type([I32, I32], []);
  const tHelper = m.type([I32], [I32]);
  const tRun = m.type([I32, I32], [I32]);
  const tSub = m.type([I64, I64, I64, I64, I64, I32], [I64]);
  const tVoid = m.type([], []);

  m.importSharedMemory('memory', input.pages);
  const g = (name: string, used: boolean, mutable = false): number => (used ? m.importGlobal(name, I32, mutable) : -1);
  const L: Layout = {
    program, slots, maps, funcs, checked: input.checked === true, loopBudget: input.loopBudget ?? DEFAULT_LOOP_BUDGET,
    needsBudget, usesLocks,
    gCpu: g('cpu', true), gStackTop: g('stackTop', true), gCtx: g('ctx', true),
    gScratch: g('scratch', imported.length > 0), gLockTag: g('lockTag', usesLocks), gRegions: g('regions', input.checked === true),
    gPidBase: g('pidBase', helpersUsed.has(HELPER_GET_CURRENT_PID_TGID), true),
    gPids: g('pids', helpersUsed.has(HELPER_GET_CURRENT_PID_TGID), true),
    gEvent: -1, gHeld: -1, gRng: -1, gBudget: -1, gRegionLo: -1, gRegionHi: -1, gFrame: -1,
    fFault: m.importFunc('fault', tFault), fRaise: -1,
    fOnReturn: m.importFunc('onReturn', tFault),
    fTailSub: helpersUsed.has(HELPER_TAIL_CALL) && funcs.length > 1 ? m.importFunc('tailSub', tSlow) : -1,
    fSpinLockSlow: usesLocks ? m.importFunc('spinLockSlow', tSlow) : -1,
    fCheck: -1, helperFunc: new Map(),
    subFunc: new Int32Array(funcs.length).fill(-1), funcAt, subType: tSub,
    table: indirectCallback,
    unknownHelpers,
  };
  for (const id of imported) L.helperFunc.set(id, m.importFunc(`h${id}`, tHelper));
  L.gEvent = m.addGlobal(I32, true, 0);
  if (usesLocks) L.gHeld = m.addGlobal(I32, true, 0);
  if (helpersUsed.has(HELPER_GET_PRANDOM_U32)) L.gRng = m.addGlobal(I64, true, 0);
  L.gFrame = m.addGlobal(I32, true, 0);
  if (needsBudget) L.gBudget = m.addGlobal(I32, true, L.loopBudget);
  if (L.checked) {
    L.gRegionLo = m.addGlobal(I32, true, -1);
    L.gRegionHi = m.addGlobal(I32, true, -1);
  }

  const fRun = m.addFunc(tRun);
  for (const k of [...targeted].sort((a, b) => a - b)) L.subFunc[k] = m.addFunc(tSub);
  L.fRaise = usesLocks ? m.addFunc(tFault) : L.fFault;
  if (L.checked) L.fCheck = m.addFunc(tFault);
  const fStart = L.gRng >= 0 ? m.addFunc(tVoid) : -1;

  // ---- Code ----
  const marks = new Map<number, number[]>();
  const body = (fn: number, locals: ValType[], code: Code, fnMarks: number[], what = 'an internal function'): void => {
    code.end();
    if (code.len > V8_MAX_FUNCTION_BYTES) {
      throw new JitError(program, -1, `${what} needs ${code.len} bytes of WebAssembly code; V8 compiles at most ${V8_MAX_FUNCTION_BYTES} per function (split it into sub-programs)`);
    }
    m.setBody(fn, locals, code.result());
    marks.set(fn, fnMarks);
  };
  wrapJit(program, () => {
    const run = emitRun(L, cfgs[0]!, entries[0]!);
    body(fRun, run.locals, run.code, run.marks, `the main program '${funcs[0]!.name}'`);
    for (let k = 0; k < funcs.length; k++) {
      if (L.subFunc[k]! < 0) continue;
      const f = new FnEmitter(L, cfgs[k]!, entries[k]!, false, 6);
      f.mark(-1);
      f.code.get(f.fpParam);
      f.code.op(Op.i64_extend_i32_u);
      f.code.set(f.reg[10]!);
      emitStructured(cfgs[k]!, new InsnSink(f), []);
      f.code.op(Op.unreachable);
      body(L.subFunc[k]!, f.locals, f.code, f.marks, `sub-program '${funcs[k]!.name}'`);
    }
  });
  if (usesLocks) {
    const c = new Code();
    emitRaise(L, c);
    body(L.fRaise, [], c, [0, -1]);
  }
  if (L.checked) {
    const c = new Code();
    emitRegionCheck(L, c);
    body(L.fCheck, [I32, I32], c, [0, -1]);
  }
  if (fStart >= 0) {
    const c = new Code();
    // A per-CPU seed: xorshift needs a non-zero state; (cpu + 1) times an odd constant is never 0.
    c.globalGet(L.gCpu);
    c.op(Op.i64_extend_i32_u);
    c.i64Const(1);
    c.op(Op.i64_add);
    c.i64Const(0x9e3779b97f4a7c15n);
    c.op(Op.i64_mul);
    c.globalSet(L.gRng);
    body(fStart, [], c, [0, -1]);
    m.start(fStart);
  }
  if (L.table) {
    const slotsFuncs: number[] = [];
    for (let k = 0; k < funcs.length; k++) slotsFuncs.push(L.subFunc[k]! >= 0 ? L.subFunc[k]! : -1);
    // Slot 0 stays empty (a NULL callback traps); slot k + 1 holds funcs[k]. Untranslated slots hold
    // run's index only as filler: call_indirect's type check refuses it.
    m.table(funcs.length + 1, 1, slotsFuncs.map((f) => (f >= 0 ? f : fRun)));
  }
  m.exportFunc('run', fRun);
  m.exportGlobal('event', L.gEvent);
  m.exportGlobal('frame', L.gFrame);
  if (usesLocks) m.exportGlobal('held', L.gHeld);

  const { bytes, codeStart } = m.build();
  const firstDefined = fRun;
  const offsets: number[] = [];
  const pcs: number[] = [];
  for (const [fn, fm] of [...marks].sort((a, b) => a[0] - b[0])) {
    const base = codeStart[fn - firstDefined]!;
    for (let i = 0; i < fm.length; i += 2) {
      offsets.push(base + fm[i]!);
      pcs.push(fm[i + 1]!);
    }
  }
  const codeMap: CodeMap = { offsets: Int32Array.from(offsets), pcs: Int32Array.from(pcs) };
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    throw new JitError(program, -1, `internal error: the generated WebAssembly does not compile (${(e as Error).message}); please report it with the object`);
  }
  return {
    module,
    bytes,
    codeMap,
    insnAt: (offset: number): number => insnAtOffset(codeMap, offset),
    helpersUsed: [...helpersUsed].sort((a, b) => a - b),
    unknownHelpers: [...unknownHelpers].sort((a, b) => a - b),
  };
}

/** The instruction whose code holds module byte `offset` (the last mark at or before it), or -1. */
export function insnAtOffset(map: CodeMap, offset: number): number {
  const { offsets, pcs } = map;
  let lo = 0;
  let hi = offsets.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? -1 : pcs[found]!;
}

/** Very deep control flow can exhaust the JS stack of the recursive structurer: say so as a JitError. */
function wrapJit(program: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof RangeError) throw new JitError(program, -1, `control flow nested too deeply to translate (${e.message})`);
    throw e;
  }
}

/**
 * run(from, to): the event loop with the main program inlined. Per-CPU values are read into locals
 * once per run; r10 is fixed (nothing may write it); per event only $event, r1 and the budget are set.
 */
function emitRun(L: Layout, cfg: Cfg, entry: RegState[]): FnEmitter {
  const f = new FnEmitter(L, cfg, entry, true, 2);
  const c = f.code;
  const FROM = 0;
  const TO = 1;
  const iL = f.local(I32);
  const runStartL = f.local(I32);
  const prevL = f.local(I64);
  const ctxL = f.local(I64);
  f.eventLocal = iL;
  f.cpuLocal = f.local(I32);
  f.stackTopLocal = f.local(I32);
  f.stackLoLocal = f.local(I32);
  if (L.gScratch >= 0) f.scratchLocal = f.local(I32);
  if (L.gLockTag >= 0) f.lockTagLocal = f.local(I32);
  if (L.needsBudget) f.budgetLocal = f.local(I32);

  f.mark(-1);
  c.globalGet(L.gCpu);
  c.set(f.cpuLocal);
  c.globalGet(L.gStackTop);
  c.tee(f.stackTopLocal);
  c.i32Const(MAX_FRAMES * STACK_FRAME);
  c.op(Op.i32_sub);
  c.set(f.stackLoLocal);
  c.globalGet(L.gCtx);
  c.op(Op.i64_extend_i32_u);
  c.set(ctxL);
  if (f.scratchLocal >= 0) {
    c.globalGet(L.gScratch);
    c.set(f.scratchLocal);
  }
  if (f.lockTagLocal >= 0) {
    c.globalGet(L.gLockTag);
    c.set(f.lockTagLocal);
  }
  // r10: the stack top, or the frame the runtime gave (a tail call's target run in a sub-program's frame).
  f.frameLocal = f.local(I32);
  c.globalGet(L.gFrame);
  c.get(f.stackTopLocal);
  c.globalGet(L.gFrame);
  c.op(Op.select);
  c.tee(f.frameLocal);
  c.op(Op.i64_extend_i32_u);
  c.set(f.reg[10]!);
  // The runtime may have changed the region table since the last run.
  if (L.checked) emitForgetRegion(L, c);
  // This CPU's slab of each PERCPU_ARRAY, for the inlined lookups.
  L.maps.forEach((map, idx) => {
    if (map.array === undefined || map.array.slabStride === 0) return;
    const base = f.local(I32);
    c.i32Const(map.array.values);
    c.get(f.cpuLocal);
    c.i32Const(map.array.slabStride);
    c.op(Op.i32_mul);
    c.op(Op.i32_add);
    c.set(base);
    f.mapBase.set(idx, base);
  });
  c.get(FROM);
  c.tee(iL);
  c.set(runStartL);
  c.block();
  c.get(iL);
  c.get(TO);
  c.op(Op.i32_ge_u);
  c.brIf(0);
  c.loop();
  c.get(iL);
  c.globalSet(L.gEvent);
  c.get(ctxL);
  c.set(f.reg[1]!);
  if (f.budgetLocal >= 0) {
    c.i32Const(L.loopBudget);
    c.set(f.budgetLocal);
  }
  // A tail call that jumped ends this event here: the events before it are reported and run()
  // returns how many finished; the runtime runs the target for this event and calls run() again.
  if (usesTailCalls(L)) {
    f.tailExit = () => {
      reportReturns(L, c, prevL, iL, runStartL);
      c.get(iL);
      c.get(FROM);
      c.op(Op.i32_sub);
      c.op(Op.return);
    };
  }
  c.block();
  const ctx: Ctx = [{ kind: 'other', node: -1 }, { kind: 'other', node: -1 }, { kind: 'exit', node: -1 }];
  emitStructured(cfg, new InsnSink(f), ctx);
  c.end();
  f.mark(-1);
  // Return values: a run of equal r0 starts at event runStart; when r0 changes, the run so far is
  // reported as (value, count). Per event that is one compare (no counter to keep).
  c.get(f.reg[0]!);
  c.get(prevL);
  c.op(Op.i64_ne);
  c.if();
  reportReturns(L, c, prevL, iL, runStartL);
  c.get(f.reg[0]!);
  c.set(prevL);
  c.get(iL);
  c.set(runStartL);
  c.end();
  c.get(iL);
  c.i32Const(1);
  c.op(Op.i32_add);
  c.tee(iL);
  c.get(TO);
  c.op(Op.i32_lt_u);
  c.brIf(0);
  c.end();
  c.end();
  reportReturns(L, c, prevL, iL, runStartL);
  c.get(iL);
  c.get(FROM);
  c.op(Op.i32_sub);
  return f;
}

/** Whether the program imports bpf_tail_call. */
function usesTailCalls(L: Layout): boolean {
  return L.helperFunc.has(HELPER_TAIL_CALL);
}

/** onReturn(prev, i - runStart) when that run is not empty. */
function reportReturns(L: Layout, c: Code, prevL: number, iL: number, runStartL: number): void {
  c.get(iL);
  c.get(runStartL);
  c.op(Op.i32_ne);
  c.if();
  c.get(prevL);
  c.op(Op.i32_wrap_i64);
  c.get(prevL);
  c.i64Const(32);
  c.op(Op.i64_shr_u);
  c.op(Op.i32_wrap_i64);
  c.get(iL);
  c.get(runStartL);
  c.op(Op.i32_sub);
  c.call(L.fOnReturn);
  c.end();
}

/** raise(kind, pc, addr): release a held bpf_spin_lock (a stopped program must not keep it), then fault. */
function emitRaise(L: Layout, c: Code): void {
  c.globalGet(L.gHeld);
  c.if();
  emitRelease(c, () => c.globalGet(L.gHeld));
  c.i32Const(0);
  c.globalSet(L.gHeld);
  c.end();
  c.get(0);
  c.get(1);
  c.get(2);
  c.call(L.fFault);
  c.op(Op.unreachable);
}

/**
 * check(addr, size, pc): the region table at `regions` (i32 n, then n pairs lo, hi) must hold
 * [addr, addr + size); else fault 1. The stack and the last region found were tried inline before
 * the call. The table is read on every call: the runtime may change it between runs.
 */
function emitRegionCheck(L: Layout, c: Code): void {
  const ADDR = 0;
  const SIZE = 1;
  const PC = 2;
  const P = 3;
  const END = 4;
  c.globalGet(L.gRegions);
  c.tee(P);
  c.mem(Op.i32_load, 2, 0);
  c.i32Const(8);
  c.op(Op.i32_mul);
  c.get(P);
  c.op(Op.i32_add);
  c.i32Const(4);
  c.op(Op.i32_add);
  c.set(END);
  c.get(P);
  c.i32Const(4);
  c.op(Op.i32_add);
  c.set(P);
  c.block();
  c.loop();
  c.get(P);
  c.get(END);
  c.op(Op.i32_ge_u);
  c.brIf(1);
  // lo <=u addr && addr <=u hi - size (regions lie above 4096, so hi - size does not wrap).
  c.get(ADDR);
  c.get(P);
  c.mem(Op.i32_load, 2, 0);
  c.op(Op.i32_ge_u);
  c.get(ADDR);
  c.get(P);
  c.mem(Op.i32_load, 2, 4);
  c.get(SIZE);
  c.op(Op.i32_sub);
  c.op(Op.i32_le_u);
  c.op(Op.i32_and);
  c.if();
  // Found: remember the region for the inline test of the next accesses.
  c.get(P);
  c.mem(Op.i32_load, 2, 0);
  c.globalSet(L.gRegionLo);
  c.get(P);
  c.mem(Op.i32_load, 2, 4);
  c.globalSet(L.gRegionHi);
  c.op(Op.return);
  c.end();
  c.get(P);
  c.i32Const(8);
  c.op(Op.i32_add);
  c.set(P);
  c.br(0);
  c.end();
  c.end();
  c.i32Const(FAULT_BAD_ACCESS);
  c.get(PC);
  c.get(ADDR);
  c.call(L.fRaise);
}
