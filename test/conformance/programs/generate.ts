// Writes the program scenario files of this directory (steps only). The kernel's outcomes come from
// the kernel, never from here: after generating, record them on a live kernel with
//   npx tsx test/conformance/programs/generate.ts && percpu-maps conformance --programs --record
// A file whose object and steps did not change keeps its recorded outcomes.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProgramScenario } from '../../../src/conformance/program/runner.js';
import { asmScenarios } from './generate-asm.js';
import { helperScenarios } from './generate-helpers.js';
import { isaScenarios } from './generate-isa.js';

export type Json = Record<string, unknown>;

export interface ScenarioDef {
  name: string;
  description: string;
  object: Json;
  initial?: Json;
  undumped?: Record<string, string>;
  steps: Json[];
}

const DIR = dirname(fileURLToPath(import.meta.url));

function write(s: ScenarioDef): void {
  const file = join(DIR, `${s.name}.json`);
  const fresh: Json = { description: s.description, object: s.object };
  if (s.initial) fresh.initial = s.initial;
  if (s.undumped) fresh.undumped = s.undumped;
  fresh.steps = s.steps;
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as Json & { steps: Json[] };
    const strip = (j: Json): string => JSON.stringify({ ...j, recorded: undefined, steps: (j.steps as Json[]).map((st) => ({ ...st, kernel: undefined })) });
    if (strip(old) === strip(fresh)) {
      console.log(`${s.name}: unchanged (${s.steps.length} steps)`);
      return;
    }
  }
  writeFileSync(file, formatProgramScenario(fresh));
  console.log(`${s.name}: written (${s.steps.length} steps), record it`);
}

export const elf = (base: string): Json => ({ file: `${base}.bpf.o`, source: `${base}.bpf.c` });
export const open = (note?: string): Json => ({ op: 'open', ...(note ? { note } : {}) });
export const note = (step: Json, text?: string): Json => (text ? { ...step, note: text } : step);

/** A u64 as a typed field ("u64 0x..." for readability of big values). */
export function u64(v: bigint | number): string {
  const b = BigInt.asUintN(64, BigInt(v));
  return b > 0xffffn ? `u64 0x${b.toString(16)}` : `u64 ${b}`;
}
export function u32(v: bigint | number): string {
  const b = BigInt.asUintN(32, BigInt(v));
  return b > 0xffffn ? `u32 0x${b.toString(16)}` : `u32 ${b}`;
}

function main(): void {
  const all = [...helperScenarios(), ...isaScenarios(), ...asmScenarios()];
  const names = new Set<string>();
  let steps = 0;
  for (const s of all) {
    if (names.has(s.name)) throw new Error(`scenario ${s.name} is generated twice`);
    names.add(s.name);
    steps += s.steps.length;
    write(s);
  }
  console.log(`${all.length} scenarios, ${steps} steps`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
