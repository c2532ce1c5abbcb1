// What "a tail call never returns" costs a TypeScript handler, measured two ways on one thread:
//   return  bpf_tail_call returns TAIL_CALL, the handler returns it, the runner calls the target
//           (what src/maps/tail-call.ts does);
//   throw   the helper throws a preallocated sentinel that the runner catches, then calls the
//           target (no convention for the handler, the frames unwound by the exception);
// against a handler that calls the target itself (no tail call), and the same with the call made
// three frames deep. Then the real thing on the runtime: a handler tail-calling a target through a
// prog array on one simulated CPU, against the same handler calling it directly.
// Run: node --import tsx test/stress/tail-call-cost.ts   (prints medians of 5 repeats, ns per event)

import { Runtime } from '../../src/cpu/runtime.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Ctx { i: number }
const THROWN = { tail: true };
let pending: ((ctx: Ctx) => unknown) | null = null;
let sink = 0;

function target(ctx: Ctx): number {
  sink += ctx.i;
  return 0;
}

// return
const TOKEN = Symbol('tail');
function tailReturn(fn: (ctx: Ctx) => unknown): typeof TOKEN { pending = fn; return TOKEN; }
function handlerReturn(ctx: Ctx): unknown { sink++; const t = tailReturn(target); if (t === TOKEN) return t; return 1; }
function runReturn(ctx: Ctx, fn: (ctx: Ctx) => unknown): unknown {
  let r = fn(ctx);
  while (r === TOKEN) { const f = pending!; pending = null; r = f(ctx); }
  return r;
}

// throw
function tailThrow(fn: (ctx: Ctx) => unknown): never { pending = fn; throw THROWN; }
function handlerThrow(ctx: Ctx): unknown { sink++; tailThrow(target); }
function deep2(ctx: Ctx): number { tailThrow(target); return ctx.i; }
function deep1(ctx: Ctx): number { return deep2(ctx) + 1; }
function handlerThrowDeep(ctx: Ctx): unknown { sink++; return deep1(ctx) + 1; }
function runThrow(ctx: Ctx, fn: (ctx: Ctx) => unknown): unknown {
  let f = fn;
  for (;;) {
    try {
      return f(ctx);
    } catch (e) {
      if (e !== THROWN) throw e;
      f = pending!;
      pending = null;
    }
  }
}

// direct
function handlerDirect(ctx: Ctx): unknown { sink++; return target(ctx); }
function runDirect(ctx: Ctx, fn: (ctx: Ctx) => unknown): unknown { return fn(ctx); }

function time(run: (ctx: Ctx, fn: (ctx: Ctx) => unknown) => unknown, fn: (ctx: Ctx) => unknown, n: number): number {
  const ctx = { i: 0 };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    ctx.i = i;
    run(ctx, fn);
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const cases: [string, (ctx: Ctx, fn: (ctx: Ctx) => unknown) => unknown, (ctx: Ctx) => unknown, number][] = [
  ['direct call (no tail call)', runDirect, handlerDirect, 20_000_000],
  ['return TAIL_CALL', runReturn, handlerReturn, 20_000_000],
  ['throw, caught by the runner', runThrow, handlerThrow, 1_000_000],
  ['throw from 3 frames deep', runThrow, handlerThrowDeep, 1_000_000],
];
for (const [, run, fn, n] of cases) time(run, fn, n); // warm up
const results: Record<string, number[]> = {};
for (let r = 0; r < 5; r++) for (const [name, run, fn, n] of cases) (results[name] ??= []).push(time(run, fn, n));
for (const [name] of cases) console.log(`${name.padEnd(30)} ${median(results[name]!).toFixed(1)} ns/event`);

// The runtime: one CPU, a handler and its target through a prog array, against a direct call.
const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
const prog = await rt.load(new URL('../fixtures/issue16/tail-calls.ts', import.meta.url));
prog.maps.jmp!.update(0, prog.programs['kprobe/stage1']!);
prog.maps.jmp!.update(2, prog.programs['kprobe/stage2']!);
const rates: Record<string, number[]> = {};
const EVENTS = 2_000_000;
for (let r = 0; r < 6; r++) {
  // entry: even events make two tail calls (entry -> stage1 -> stage2), odd ones fall through.
  for (const probe of ['kprobe/entry', 'kprobe/stage2']) {
    const run = await rt.run({ probe, events: EVENTS });
    if (r > 0) (rates[probe] ??= []).push(run.wallNs / EVENTS);
  }
}
console.log(`runtime, entry (1 tail call an event on average) ${median(rates['kprobe/entry']!).toFixed(1)} ns/event`);
console.log(`runtime, stage2 alone (no tail call)              ${median(rates['kprobe/stage2']!).toFixed(1)} ns/event`);
await prog.unload();
await rt.close();
if (sink < 0) console.log(sink);
