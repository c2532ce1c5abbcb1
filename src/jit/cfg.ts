// Basic blocks of one BPF function and their translation to WebAssembly's structured control flow.
//
// BPF jumps go anywhere inside a function; Wasm has only nested block/loop/if with br out. For a
// reducible graph (all clang output) we follow Ramsey, "Beyond Relooper" (ICFP 2022): visit the
// dominator tree; a node that is the target of a back edge is wrapped in `loop`; each dominator-tree
// child that has two or more forward predecessors (a merge node) gets a `block` around its
// dominator's code, ends it, and follows it, so a jump to it is `br` out of that block; a node with
// one forward predecessor is placed inline where it is jumped to. Children with higher reverse
// postorder numbers go outside, so the code comes out in reverse postorder.
// An irreducible graph (a loop with two entries; hand-written bytecode only) falls back to one
// `loop` around a `br_table` over all blocks, with the next block's number in a local.

import { type Insn, JitError, isExit, isJump, isUnconditional, jumpTarget } from './isa.js';
import { type Code, Op } from './wasm.js';

export type Term =
  | { kind: 'exit'; insn: Insn }
  | { kind: 'goto'; to: number; insn: Insn | null }
  | { kind: 'cond'; taken: number; fall: number; insn: Insn };

export interface Block {
  id: number;
  /** Instructions in order; the terminator's jump/exit instruction is the last one, if any. */
  insns: Insn[];
  term: Term;
  succs: number[];
  preds: number[];
  /** Reverse postorder number, -1 when the block cannot be reached from the entry. */
  rpo: number;
}

export interface Cfg {
  blocks: Block[];
  /** Reachable blocks in reverse postorder (order[0] is the entry). */
  order: Block[];
  idom: Int32Array;
  domChildren: number[][];
  loopHeader: boolean[];
  merge: boolean[];
  reducible: boolean;
}

/**
 * Splits the function occupying slots [lo, hi) of `slots` into basic blocks. Jumps that leave the
 * function or land inside an ld_imm64, and a last instruction that falls off the end, are JitErrors.
 */
export function buildCfg(program: string, slots: (Insn | undefined)[], lo: number, hi: number): Cfg {
  const leader = new Uint8Array(hi - lo + 1);
  leader[0] = 1;
  for (let pc = lo; pc < hi; pc++) {
    const insn = slots[pc];
    if (insn === undefined || !isJump(insn)) continue;
    if (!isExit(insn)) {
      const t = jumpTarget(insn);
      if (t < lo || t >= hi) {
        throw new JitError(program, pc, `jump to ${t} leaves the function (instructions ${lo}..${hi - 1})`);
      }
      if (slots[t] === undefined) throw new JitError(program, pc, `jump to ${t}, the second half of an ld_imm64`);
      leader[t - lo] = 1;
    }
    leader[pc + (insn.wide ? 2 : 1) - lo] = 1;
  }
  const blockAt = new Int32Array(hi - lo).fill(-1);
  const blocks: Block[] = [];
  for (let pc = lo; pc < hi; ) {
    const id = blocks.length;
    const insns: Insn[] = [];
    let next = pc;
    do {
      const insn = slots[next]!;
      insns.push(insn);
      next += insn.wide ? 2 : 1;
    } while (next < hi && leader[next - lo] === 0);
    blockAt[pc - lo] = id;
    blocks.push({ id, insns, term: { kind: 'exit', insn: insns[0]! }, succs: [], preds: [], rpo: -1 });
    pc = next;
  }
  for (const b of blocks) {
    const last = b.insns[b.insns.length - 1]!;
    const nextPc = last.pc + (last.wide ? 2 : 1);
    const fallTo = (): number => {
      if (nextPc >= hi) throw new JitError(program, last.pc, `the function's last instruction must be exit or a jump (control falls off its end)`);
      return blockAt[nextPc - lo]!;
    };
    if (isJump(last)) {
      if (isExit(last)) b.term = { kind: 'exit', insn: last };
      else {
        const to = blockAt[jumpTarget(last) - lo]!;
        if (isUnconditional(last)) b.term = { kind: 'goto', to, insn: last };
        else {
          const fall = fallTo();
          // A conditional jump to the next instruction goes there either way.
          b.term = to === fall ? { kind: 'goto', to, insn: last } : { kind: 'cond', taken: to, fall, insn: last };
        }
      }
    } else b.term = { kind: 'goto', to: fallTo(), insn: null };
    const t = b.term;
    b.succs = t.kind === 'exit' ? [] : t.kind === 'goto' ? [t.to] : [t.taken, t.fall];
  }
  return analyse(blocks);
}

function analyse(blocks: Block[]): Cfg {
  // Depth-first search from the entry without recursion: postorder, then reversed.
  const n = blocks.length;
  const post: number[] = [];
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const stack: number[] = [0];
  const nextSucc = new Int32Array(n);
  state[0] = 1;
  while (stack.length > 0) {
    const b = stack[stack.length - 1]!;
    const succs = blocks[b]!.succs;
    if (nextSucc[b]! < succs.length) {
      const s = succs[nextSucc[b]!++]!;
      if (state[s] === 0) {
        state[s] = 1;
        stack.push(s);
      }
    } else {
      state[b] = 2;
      post.push(b);
      stack.pop();
    }
  }
  const order: Block[] = [];
  for (let i = post.length - 1; i >= 0; i--) {
    const b = blocks[post[i]!]!;
    b.rpo = order.length;
    order.push(b);
  }
  for (const b of order) for (const s of b.succs) blocks[s]!.preds.push(b.id);

  // Dominators: Cooper, Harvey and Kennedy's iterative algorithm over reverse postorder.
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (blocks[a]!.rpo > blocks[b]!.rpo) a = idom[a]!;
      while (blocks[b]!.rpo > blocks[a]!.rpo) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 1; i < order.length; i++) {
      const b = order[i]!;
      let d = -1;
      for (const p of b.preds) {
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[b.id]) {
        idom[b.id] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (;;) {
      if (a === b) return true;
      if (b === 0) return false;
      b = idom[b]!;
    }
  };

  const loopHeader = new Array<boolean>(n).fill(false);
  const forwardPreds = new Int32Array(n);
  let reducible = true;
  for (const b of order) {
    for (const s of b.succs) {
      const t = blocks[s]!;
      if (t.rpo <= b.rpo) {
        // A retreating edge must go to a dominator (a loop's one entry) in a reducible graph.
        if (dominates(t.id, b.id)) loopHeader[t.id] = true;
        else reducible = false;
      } else forwardPreds[t.id]!++;
    }
  }
  const merge = Array.from(forwardPreds, (c) => c >= 2);
  const domChildren: number[][] = blocks.map(() => []);
  for (const b of order) if (b.id !== 0) domChildren[idom[b.id]!]!.push(b.id);
  return { blocks, order, idom, domChildren, loopHeader, merge, reducible };
}

/** What the structurer asks of the instruction translator. */
export interface Sink {
  code: Code;
  /** Emit the block's instructions before its terminator (the terminator's own jump/exit excluded). */
  body(b: Block): void;
  /** Push the i32 condition of b's conditional terminator: non-zero when the jump is taken. */
  cond(b: Block): void;
  /** Emit b's exit: `exitDepth` is the br depth of the exit label, or -1 where exit is a return. */
  exit(b: Block, exitDepth: number): void;
  /** Called before a back edge's br (b is the source): the loop budget. */
  backEdge(b: Block): void;
  /** An i32 local the dispatch fallback may use for the next block's number. */
  labelLocal: number;
}

/** The enclosing constructs, innermost last, so a br depth is a distance from the end. */
export type Ctx = { kind: 'loop' | 'block' | 'if' | 'exit' | 'other'; node: number }[];

function depthOf(ctx: Ctx, kind: Ctx[number]['kind'], node: number): number {
  for (let i = ctx.length - 1; i >= 0; i--) {
    const c = ctx[i]!;
    if (c.kind === kind && c.node === node) return ctx.length - 1 - i;
  }
  throw new Error(`structurer: no enclosing ${kind} for block ${node}`);
}

function exitDepth(ctx: Ctx): number {
  for (let i = ctx.length - 1; i >= 0; i--) if (ctx[i]!.kind === 'exit') return ctx.length - 1 - i;
  return -1;
}

/**
 * Emits the function's control flow and code into sink.code. `ctx` holds the constructs already open
 * around it (with an 'exit' entry where exit branches out instead of returning).
 */
export function emitStructured(cfg: Cfg, sink: Sink, ctx: Ctx): void {
  if (cfg.reducible) new Structurer(cfg, sink, ctx).run(0);
  else emitDispatch(cfg, sink, ctx);
}

/**
 * Ramsey's translation written with an explicit stack of pending steps instead of recursion, so a
 * long chain of nested merges (thousands of ifs in a row) cannot exhaust the JS stack. Each step
 * that would call several sub-steps in order pushes them in reverse.
 */
class Structurer {
  private readonly cfg: Cfg;
  private readonly sink: Sink;
  private readonly ctx: Ctx;
  private readonly todo: (() => void)[] = [];

  constructor(cfg: Cfg, sink: Sink, ctx: Ctx) {
    this.cfg = cfg;
    this.sink = sink;
    this.ctx = ctx;
  }

  run(entry: number): void {
    this.todo.push(() => this.tree(entry));
    while (this.todo.length > 0) this.todo.pop()!();
  }

  /** Schedules steps to run in the order given, before anything scheduled earlier. */
  private then(...steps: (() => void)[]): void {
    for (let i = steps.length - 1; i >= 0; i--) this.todo.push(steps[i]!);
  }

  private tree(x: number): void {
    const { cfg, sink, ctx } = this;
    const merges = cfg.domChildren[x]!.filter((c) => cfg.merge[c]);
    merges.sort((a, b) => cfg.blocks[b]!.rpo - cfg.blocks[a]!.rpo);
    if (cfg.loopHeader[x]) {
      sink.code.loop();
      ctx.push({ kind: 'loop', node: x });
      this.then(
        () => this.within(x, merges, 0),
        () => {
          ctx.pop();
          sink.code.end();
        },
      );
    } else this.within(x, merges, 0);
  }

  private within(x: number, merges: number[], i: number): void {
    const { sink, ctx } = this;
    if (i === merges.length) {
      const b = this.cfg.blocks[x]!;
      sink.body(b);
      this.terminator(b);
      return;
    }
    const y = merges[i]!;
    sink.code.block();
    ctx.push({ kind: 'block', node: y });
    this.then(
      () => this.within(x, merges, i + 1),
      () => {
        ctx.pop();
        sink.code.end();
      },
      () => this.tree(y),
    );
  }

  private isBack(from: Block, to: number): boolean {
    return this.cfg.blocks[to]!.rpo <= from.rpo;
  }

  private terminator(b: Block): void {
    const { sink, ctx } = this;
    const t = b.term;
    if (t.kind === 'exit') sink.exit(b, exitDepth(ctx));
    else if (t.kind === 'goto') this.branch(b, t.to);
    else {
      const code = sink.code;
      // A forward jump to a merge node is a plain br_if; otherwise an if/else with one arm each.
      if (!this.isBack(b, t.taken) && this.cfg.merge[t.taken]) {
        sink.cond(b);
        code.brIf(depthOf(ctx, 'block', t.taken));
        this.branch(b, t.fall);
      } else if (!this.isBack(b, t.fall) && this.cfg.merge[t.fall]) {
        sink.cond(b);
        code.op(Op.i32_eqz);
        code.brIf(depthOf(ctx, 'block', t.fall));
        this.branch(b, t.taken);
      } else {
        sink.cond(b);
        code.if();
        ctx.push({ kind: 'if', node: -1 });
        this.then(
          () => this.branch(b, t.taken),
          () => code.else(),
          () => this.branch(b, t.fall),
          () => {
            ctx.pop();
            code.end();
          },
        );
      }
    }
  }

  private branch(from: Block, to: number): void {
    const code = this.sink.code;
    if (this.isBack(from, to)) {
      this.sink.backEdge(from);
      code.br(depthOf(this.ctx, 'loop', to));
    } else if (this.cfg.merge[to]) code.br(depthOf(this.ctx, 'block', to));
    else this.then(() => this.tree(to)); // branch is always its caller's last step
  }
}

function emitDispatch(cfg: Cfg, sink: Sink, ctx: Ctx): void {
  const { code, labelLocal } = sink;
  const order = cfg.order;
  const n = order.length;
  const index = new Int32Array(cfg.blocks.length).fill(-1);
  order.forEach((b, i) => (index[b.id] = i));
  code.i32Const(0);
  code.set(labelLocal);
  code.loop();
  ctx.push({ kind: 'loop', node: -2 });
  for (let i = n - 1; i >= 0; i--) {
    code.block();
    ctx.push({ kind: 'block', node: -3 - i });
  }
  code.get(labelLocal);
  code.op(Op.br_table);
  code.u32(n);
  for (let i = 0; i < n; i++) code.u32(i);
  code.u32(0);
  const jump = (from: Block, to: number): void => {
    const k = index[to]!;
    code.i32Const(k);
    code.set(labelLocal);
    if (k <= index[from.id]!) sink.backEdge(from);
    code.br(depthOf(ctx, 'loop', -2));
  };
  for (let i = 0; i < n; i++) {
    ctx.pop();
    code.end();
    const b = order[i]!;
    sink.body(b);
    const t = b.term;
    if (t.kind === 'exit') sink.exit(b, exitDepth(ctx));
    else if (t.kind === 'goto') jump(b, t.to);
    else {
      sink.cond(b);
      code.if();
      ctx.push({ kind: 'if', node: -1 });
      jump(b, t.taken);
      code.else();
      jump(b, t.fall);
      ctx.pop();
      code.end();
    }
  }
  ctx.pop();
  code.end();
}
