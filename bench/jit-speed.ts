// Speed of the translator and of translated code (issue 14's figures), measured here rather than in
// timed tests: `npx tsx bench/jit-speed.ts [--quick]`. The machine is shared: figures are given as
// min / median / max over repeated runs; the lead measures final ones on an idle machine.
//   1. translateProgram (decode .. new WebAssembly.Module) of a 1,000-instruction program
//   2. ns per event in run() on one thread: per-CPU counter (inlined lookup + i64 add), BPF atomic
//      add, spin-locked add, racy add; after warm-up (run is re-called, so TurboFan's code is used)
//      (and the per-CPU counter in checked mode)
//   3. per-CPU counter on 2 CPUs (worker threads) over one shared memory: M events/s together

import { translateProgram } from '../src/jit/index.js';
import { Asm, R0, R1, R2, R6, R10 } from '../test/jit/asm.js';
import { PAGES, instantiate, newMemory, translate } from '../test/jit/harness.js';
import { COUNTER_MAPS, COUNTER_VALUE, PERCPU_STRIDE, PERCPU_VALUES, type Strategy, counter } from '../test/jit/programs.js';
import { runOnCpus } from '../test/jit/threads.js';

const quick = process.argv.includes('--quick');

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return `${f(s[0]!)} / ${f(s[Math.floor(s.length / 2)]!)} / ${f(s[s.length - 1]!)}`;
}

/** About 1,000 instructions shaped like clang's: lookups, NULL checks, updates, branches, calls. */
function bigProgram(): { insns: Uint8Array; funcs: { name: string; start: number }[] } {
  const a = new Asm().movr(R6, R1);
  for (let i = 0; a.pc < 960; i++) {
    a.st('w', R10, -4, i & 3).movr(R2, R10).alu64('add', R2, { imm: -4 }).ldMap(R1, i & 1).call(1)
      .jmp('jeq', R0, { imm: 0 }, `skip${i}`).ldx('dw', R1, R0, 0).alu64('add', R1, { imm: i }).stx('dw', R0, 0, R1)
      .label(`skip${i}`).ldx('w', R2, R6, 0).alu64('and', R2, { imm: 0xff }).jmp('jgt', R2, { imm: i & 0x7f }, `big${i}`)
      .alu64('mul', R2, { imm: 3 }).ja(`join${i}`).label(`big${i}`).alu64('rsh', R2, { imm: 1 }).label(`join${i}`)
      .stx('dw', R10, -16, R2);
    if (i % 8 === 7) a.movr(R1, R2).callLocal('f');
  }
  a.mov64(R0, 0).exit();
  a.func('f').movr(R0, R1).alu64('xor', R0, { imm: 0x55 }).exit();
  return { insns: a.build(), funcs: a.funcs };
}

function translationTime(): void {
  const { insns, funcs } = bigProgram();
  const input = { name: 'big', pages: PAGES, insns, funcs, maps: COUNTER_MAPS, checked: false };
  // The first translation in a process runs the translator's own code cold (as a runtime's load does).
  let t0 = performance.now();
  const first = translateProgram(input);
  const cold = performance.now() - t0;
  t0 = performance.now();
  instantiate(first).run(0, 1); // V8 compiles functions lazily: this includes compiling run
  const firstEvent = performance.now() - t0;
  console.log(`first translation in this process (cold): ${cold.toFixed(1)} ms; instantiate + first event: ${firstEvent.toFixed(1)} ms`);
  for (let i = 0; i < 5; i++) translateProgram(input); // warm the translator's own JIT
  const ms: number[] = [];
  const msChecked: number[] = [];
  for (let i = 0; i < (quick ? 10 : 40); i++) {
    let t = performance.now();
    translateProgram(input);
    ms.push(performance.now() - t);
    t = performance.now();
    translateProgram({ ...input, checked: true });
    msChecked.push(performance.now() - t);
  }
  const bytes = translateProgram(input).bytes.length;
  console.log(`translate + compile (warm), ${insns.length / 8} instructions (${bytes} bytes of Wasm), ms min/median/max: ${stats(ms)}  (checked mode: ${stats(msChecked)})`);
}

function nsPerEvent(strategy: Strategy, checked = false): number[] {
  // Checked mode: the map values are the one region besides the stack.
  const regions: [number, number][] = [[COUNTER_VALUE, COUNTER_VALUE + 16], [PERCPU_VALUES, PERCPU_VALUES + 2 * PERCPU_STRIDE]];
  const inst = instantiate(translate(counter(strategy), { maps: COUNTER_MAPS, checked }), { memory: newMemory(), regions });
  const chunk = 10_000_000;
  // Warm-up: Liftoff first; TurboFan's code is used from a later call on.
  const warm = performance.now();
  while (performance.now() - warm < (quick ? 300 : 1000)) inst.run(0, 1_000_000);
  const out: number[] = [];
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    const t = process.hrtime.bigint();
    inst.run(0, chunk);
    out.push(Number(process.hrtime.bigint() - t) / chunk);
  }
  return out;
}

/** M events/s of both CPUs together, and each CPU's ns/event (time-sharing with other processes shows there). */
async function twoCpus(): Promise<{ rates: number[]; perCpu: number[] }> {
  const prog = translate(counter('percpu'), { maps: COUNTER_MAPS });
  const rates: number[] = [];
  const perCpu: number[] = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const events = 200_000_000;
    const r = await runOnCpus(prog, newMemory(), 2, events, 10_000_000, 1000);
    const ns = Math.max(...r.map((x) => x.ns));
    rates.push((2 * events) / ns * 1000);
    perCpu.push(...r.map((x) => x.ns / x.done));
  }
  return { rates, perCpu };
}

translationTime();
for (const s of ['percpu', 'atomic', 'spinlock', 'racy'] as const) {
  console.log(`${s.padEnd(8)} counter, 1 thread, ns/event min/median/max: ${stats(nsPerEvent(s))}`);
}
console.log(`percpu   counter, 1 thread, checked mode, ns/event min/median/max: ${stats(nsPerEvent('percpu', true))}`);
const two = await twoCpus();
console.log(`percpu   counter, 2 CPUs (workers, after warm-up), M events/s min/median/max: ${stats(two.rates)}; each CPU ns/event: ${stats(two.perCpu)}`);
console.log(`load average now: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')} on ${(await import('node:os')).availableParallelism()} CPUs`);
