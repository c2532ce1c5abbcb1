// Fuzzing the whole object pipeline: a mutated object is opened (the loader), its maps created in
// one memory and its programs translated (the runtime's prepareObject and the JIT), instantiated
// on one CPU in this thread and run for a few events in checked mode. Allowed outcomes: an object
// that runs, the loader's ObjectError, a ProgramLoadError (a map the kernel would refuse, a program
// the translator refuses), and at run time a ProgramFault (checked access, loop budget, lock rules)
// or a WebAssembly trap. Anything else (a TypeError, a RangeError from our code, a hang) is a
// finding. test/pipeline-fuzz.test.ts runs a few hundred; more with
//   npx tsx test/stress/pipeline-fuzz.ts [count] [seed]
import { pathToFileURL } from 'node:url';
import { ObjectError, openObject } from '../../src/object/index.js';
import { prepareObject } from '../../src/cpu/object.js';
import { ObjectCpu } from '../../src/cpu/object-cpu.js';
import { ProgramFault } from '../../src/cpu/program-fault.js';
import { ProgramLoadError } from '../../src/cpu/errors.js';
import { EventContext } from '../../src/cpu/event-loop.js';
import { TracePipe } from '../../src/maps/trace-pipe.js';
import { loadSamples, mutate, prng } from './object-fuzz.js';
import { setSmpProcessorId } from '../../src/smp/smp.js';

export interface PipelineFinding { iteration: number; mutation: string; error: string }
export interface PipelineResult { runs: number; refusedByLoader: number; refusedAtLoad: number; ran: number; faulted: number; findings: PipelineFinding[] }

/** Events each program of an object that loads gets; its loop budget keeps a mutated loop short. */
const EVENTS = 3;
const LOOP_BUDGET = 1 << 12;

export function fuzzPipeline(count: number, seed: number, timeLimitMs = Infinity): PipelineResult {
  const samples = loadSamples();
  const rnd = prng(seed);
  const r: PipelineResult = { runs: 0, refusedByLoader: 0, refusedAtLoad: 0, ran: 0, faulted: 0, findings: [] };
  const t0 = performance.now();
  // This thread plays CPU 0 (program helpers refuse to run off a CPU).
  setSmpProcessorId(0);
  const task = new EventContext(0);
  // Mutated programs print: into a pipe of their own (full rings drop lines), not the terminal.
  const pipe = new TracePipe(1);
  for (let i = 0; i < count && performance.now() - t0 < timeLimitMs; i++) {
    const s = samples[Math.floor(rnd() * samples.length)]!;
    const { bytes, what } = mutate(s, samples, rnd);
    r.runs++;
    if (r.runs % 256 === 0) pipe.drain();
    try {
      const obj = openObject(bytes, { name: 'fuzz' });
      const prepared = prepareObject(obj, 1, { checked: true, loopBudget: LOOP_BUDGET });
      const cpu = new ObjectCpu(prepared.task, 0, (event) => { task.index = event; return task; }, () => pipe);
      for (const prog of cpu.programs) {
        cpu.prepare([prog], {}, 1000, 4);
        cpu.running = prog;
        try {
          prog.runRange(0, EVENTS);
          r.ran++;
        } catch (e) {
          if (cpu.failureOf(prog, e) === null) throw e;
          r.faulted++;
        }
      }
    } catch (e) {
      if (e instanceof ObjectError) r.refusedByLoader++;
      else if (e instanceof ProgramLoadError) r.refusedAtLoad++;
      else if (e instanceof ProgramFault) r.faulted++;
      else r.findings.push({ iteration: i, mutation: what, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) });
    }
  }
  return r;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 20_000);
  const seed = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  const r = fuzzPipeline(count, seed);
  process.stdout.write(`pipeline fuzz: ${r.runs} mutated objects from seed ${seed} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
    `${r.refusedByLoader} refused by the loader, ${r.refusedAtLoad} at load (maps, translation), ${r.ran} program runs completed, ` +
    `${r.faulted} stopped by a fault, ${r.findings.length} findings\n`);
  for (const f of r.findings.slice(0, 20)) process.stdout.write(`FINDING #${f.iteration} ${f.mutation}\n  ${f.error.split('\n').slice(0, 5).join('\n  ')}\n`);
  process.exitCode = r.findings.length === 0 ? 0 : 1;
}
