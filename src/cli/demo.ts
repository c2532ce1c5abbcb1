// `percpu-maps demo <name>`: short, deterministic lessons about what goes wrong, played on
// simulated CPUs in this thread (program-side calls made "as" CPU 0 or CPU 1, as Runtime.runOn
// does), so every run prints the same story.
//
//   use-after-delete   a CPU keeps writing through a view of a hash element another CPU deleted;
//                      the preallocated element is reused for the next key, which gets the writes
//   verifier           what the kernel's verifier says about the race lab's programs
//   seed               the seed article's C program, compiled by clang, run unchanged on simulated
//                      CPUs (with a runtime of its own: the only demo with worker threads)

import { bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_update_elem } from '../maps/helpers.js';
import { struct, u64 } from '../maps/layout.js';
import { setSmpProcessorId, smpProcessorId } from '../smp/smp.js';
import { createMap, type BpfMap } from '../maps/syscall.js';
import { BpfError } from '../maps/errno.js';
import { BPF_ANY } from '../maps/uapi.js';
import { STRATEGIES, verifyStrategy } from '../workloads/race/index.js';
import { UsageError, intOption, parse } from './args.js';
import { Runtime } from '../cpu/runtime.js';
import { askKernelAboutSeed, runSeed, SEED_EXPLAIN, SEED_SOURCE, type SeedKernel, type SeedResult } from '../workloads/seed/index.js';
import { relative } from 'node:path';
import { wrap } from '../bench/format.js';

const DEMOS = {
  'use-after-delete': 'a CPU keeps writing through a view of a hash element another CPU deleted',
  verifier: "what the kernel's verifier (Linux 6.18) says about the race lab's four programs",
  seed: "the seed article's C program (clang-compiled, unchanged) on simulated CPUs, and its trace line",
} as const;
type DemoName = keyof typeof DEMOS;

export const DEMO_HELP = `usage: percpu-maps demo <name> [--json] [--cpus N] [--events N]

demos:
${Object.entries(DEMOS).map(([n, t]) => `  ${n.padEnd(18)} ${t}`).join('\n')}

options:
  --json       print the steps as JSON
  --cpus N     seed: simulated CPUs (default 2)
  --events N   seed: sys_clone events (default 40)`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('demo', argv, {
    json: { type: 'boolean' }, cpus: { type: 'string' }, events: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    process.stdout.write(DEMO_HELP + '\n');
    return 0;
  }
  const names = Object.keys(DEMOS);
  if (positionals.length !== 1) {
    throw new UsageError('demo', positionals.length === 0 ? `name a demo: ${names.join(', ')}` : `one demo at a time, got ${positionals.join(' ')}`);
  }
  const name = positionals[0]!;
  if (!names.includes(name)) throw new UsageError('demo', `unknown demo '${name}'; choose from ${names.join(', ')}`);
  const json = values.json === true;
  if (name !== 'seed' && (values.cpus !== undefined || values.events !== undefined)) {
    throw new UsageError('demo', `--cpus and --events are options of the seed demo, not of ${name}`);
  }
  if ((name as DemoName) === 'seed') {
    const cpus = intOption('demo', 'cpus', values.cpus, 1, 64) ?? 2;
    const events = intOption('demo', 'events', values.events, 1, 10_000) ?? 40;
    const rt = await Runtime.start({ cpus, onWarning: () => {} });
    try {
      const r = await runSeed(rt, events);
      const kernel = await askKernelAboutSeed();
      process.stdout.write(json ? JSON.stringify({ ...r, kernel, explain: SEED_EXPLAIN }, null, 2) + '\n' : renderSeed(r, kernel) + '\n');
    } finally {
      await rt.close();
    }
  } else if ((name as DemoName) === 'use-after-delete') {
    const r = useAfterDelete();
    process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : renderUseAfterDelete(r) + '\n');
  } else {
    const r = await verifierDemo();
    process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : renderVerifier(r) + '\n');
  }
  return 0;
}

// ---- use after delete ------------------------------------------------------------------------

export const Flow = struct({ packets: u64, octets: u64 });

export interface Step {
  step: number;
  cpu: number;
  action: string;
  /** What a user-space lookup of the keys involved returns after the step. */
  userSpace: string;
}

export interface UseAfterDelete {
  steps: Step[];
  /** Key 2's value at the end: what CPU 1 wrote plus CPU 0's stray writes. */
  key2: { packets: number; octets: number };
  /** Whether the view CPU 0 kept is the very view a lookup of key 2 returns (the same element). */
  sameElement: boolean;
}

function onCpu<T>(cpu: number, fn: () => T): T {
  const saved = smpProcessorId;
  setSmpProcessorId(cpu);
  try {
    return fn();
  } finally {
    setSmpProcessorId(saved);
  }
}

function show(map: BpfMap, key: number): string {
  try {
    const v = Flow.decode(map.lookup(key));
    return `${key}: packets ${v.packets} octets ${v.octets}`;
  } catch (e) {
    if (e instanceof BpfError) return `${key}: ${e.errno}`;
    throw e;
  }
}

/**
 * The story, on a preallocated HASH map on 2 CPUs. A deleted element goes back on the deleting
 * CPU's free list and is the next one that CPU hands out (a LIFO), exactly as the kernel's
 * percpu_freelist does; a view is a pointer to the element, not to the key.
 */
export function useAfterDelete(): UseAfterDelete {
  const flows = createMap({ type: 'hash', keySize: 4, valueSize: Flow.size, maxEntries: 4, name: 'flows', value: Flow }, { cpus: 2 });
  const steps: Step[] = [];
  const note = (cpu: number, action: string, keys: number[]) =>
    steps.push({ step: steps.length + 1, cpu, action, userSpace: keys.map((k) => show(flows, k)).join('; ') });

  flows.update(1, Flow.encode({ packets: 10, octets: 1500 }));
  note(-1, 'user space: update(flows, 1, {packets 10, octets 1500})', [1]);

  const v = onCpu(0, () => bpf_map_lookup_elem(flows, 1))!;
  note(0, 'v = bpf_map_lookup_elem(flows, 1)  (v points at the element of key 1)', [1]);

  const del = onCpu(1, () => bpf_map_delete_elem(flows, 1));
  note(1, `bpf_map_delete_elem(flows, 1) = ${del}  (the element goes back on CPU 1's free list)`, [1]);

  onCpu(0, () => { v.packets += 1; v.octets += 60; });
  note(0, 'v->packets += 1; v->octets += 60  (through the stale view: the element is free, nobody sees it)', [1]);

  const upd = onCpu(1, () => bpf_map_update_elem(flows, 2, Flow.encode({ packets: 1, octets: 40 }), BPF_ANY));
  note(1, `bpf_map_update_elem(flows, 2, {packets 1, octets 40}, BPF_ANY) = ${upd}  (pops the same element for key 2)`, [1, 2]);

  onCpu(0, () => { v.packets += 1; v.octets += 60; });
  note(0, 'v->packets += 1; v->octets += 60  (the stale view now writes into key 2\'s value)', [1, 2]);

  const sameElement = onCpu(0, () => bpf_map_lookup_elem(flows, 2)) === v;
  const end = Flow.decode(flows.lookup(2));
  return { steps, key2: { packets: end.packets as number, octets: end.octets as number }, sameElement };
}

export const USE_AFTER_DELETE_LESSON =
  'A lookup returns a pointer to the element, not to the key. In a preallocated hash map (the default; ' +
  'BPF_F_NO_PREALLOC not set) a deleted element is not freed: it goes back on the deleting CPU\'s free list ' +
  'and the next insert on that CPU takes it, so a CPU still holding the old pointer writes into whatever key ' +
  'lives there now. The kernel\'s preallocated hash map works the same way: lookups run without locks, a ' +
  'deleted element goes straight back on a per-CPU free list (no RCU grace period), and a program that still ' +
  'holds the pointer from its lookup writes into whichever key the element serves next. Nothing crashes and nothing reports it; the damage is a wrong count on an unrelated key. What to do: ' +
  'never keep a view past the event that looked it up (look it up again each time), check the key again if it ' +
  'matters (store it in the value), or take the value\'s bpf_spin_lock and re-check the stored key under it.';

/** Lines of the printed demo: at most this wide. */
const WIDTH = 100;

export function renderUseAfterDelete(r: UseAfterDelete): string {
  // One block per step (a table of four columns took ~170 columns): what ran, why, what user space sees.
  const steps: string[] = [];
  for (const s of r.steps) {
    const at = s.action.indexOf('  (');
    const [code, note] = at < 0 ? [s.action, ''] : [s.action.slice(0, at), s.action.slice(at + 3, -1)];
    const who = s.cpu < 0 ? 'user space' : `CPU ${s.cpu}`;
    const indent = ' '.repeat(17);
    steps.push(wrap(code.replace(/^user space: /, ''), WIDTH, indent, `${String(s.step).padStart(2)}  ${who.padEnd(10)}   `));
    if (note) steps.push(wrap(`(${note})`, WIDTH, `${indent} `, indent));
    steps.push(wrap(`user space sees: ${s.userSpace}`, WIDTH, indent, indent), '');
  }
  return [
    'use after delete: a CPU keeps writing through a view of a hash element another CPU deleted',
    "map 'flows': HASH, key u32, value { packets: u64, octets: u64 }, max_entries 4, preallocated, 2 CPUs",
    '',
    ...steps,
    `key 2 should read packets 1 octets 40; it reads packets ${r.key2.packets} octets ${r.key2.octets}.`,
    `bpf_map_lookup_elem(flows, 2) returns ${r.sameElement ? 'the very view CPU 0 kept for key 1: the same element' : 'another view'}.`,
    '',
    wrap(USE_AFTER_DELETE_LESSON, 100, '  ', '  '),
  ].join('\n');
}

// ---- verifier -------------------------------------------------------------------------------------

export interface VerifierDemoRow {
  strategy: string;
  verdict: 'accepted' | 'rejected';
  lines: string[];
}

export async function verifierDemo(): Promise<VerifierDemoRow[]> {
  const rows: VerifierDemoRow[] = [];
  for (const s of STRATEGIES) {
    const findings = await verifyStrategy(s);
    rows.push({ strategy: s, verdict: findings.length ? 'rejected' : 'accepted', lines: findings.map((f) => `${f.probe}: ${f.message}`) });
  }
  return rows;
}

export function renderVerifier(rows: VerifierDemoRow[]): string {
  const out = ["the race lab's programs as the kernel's verifier (Linux 6.18) would judge them:", ''];
  for (const r of rows) {
    out.push(`  ${r.strategy.padEnd(9)} ${r.verdict}`);
    for (const l of r.lines) out.push(`            ${l}`);
  }
  out.push('', wrap('The simulation runs all four (pass --verifier to race to refuse them as the kernel does). ' +
    'The seed keeps its lock in a kprobe program, which the kernel refuses for any map whose value holds a ' +
    'bpf_spin_lock. Its unchecked lookup, by contrast, passes on Linux 6.13 and later: an ARRAY lookup with a ' +
    'constant key below max_entries cannot return NULL.', 100, '  ', '  '));
  return out.join('\n');
}

// ---- the seed article's program --------------------------------------------------------------

/** What the kernel said of the seed object, or why it was not asked. */
export function renderSeedKernel(k: SeedKernel): string[] {
  if (!k.asked) return [`the live kernel was not asked (--verify kernel): ${k.why}`];
  const v = k.verdict;
  const how = v.via === 'raw' ? 'raw BPF_PROG_LOAD, as libbpf 1.x refuses its SEC("maps")' : 'libbpf';
  if (v.verdict === 'accepted') return [`the live kernel's verifier (through ${how}) accepts ${v.programs.join(', ')}`];
  return [`the live kernel's verifier (through ${how}) refuses ${v.program} (${v.errno}):`, `  ${v.line}`];
}

export function renderSeed(r: SeedResult, kernel?: SeedKernel): string {
  const out = [
    `the seed article's program (${relative(process.cwd(), SEED_SOURCE)}), compiled by clang, on ${r.cpus} simulated CPUs:`,
    '',
    `  events ${r.events}, counter ${r.count}${r.count === r.events ? ' (exact)' : ''}, return values ${r.returns.map((x) => `${x.value} x ${x.count}`).join(', ')}`,
    '',
    `trace_pipe (${r.trace.length} line${r.trace.length === 1 ? '' : 's'}):`,
    ...r.trace,
    '',
    ...(kernel === undefined ? [] : [...renderSeedKernel(kernel), '']),
    'why:',
  ];
  for (const e of SEED_EXPLAIN) out.push(wrap(e, 100, '    ', '  - '));
  return out.join('\n');
}
