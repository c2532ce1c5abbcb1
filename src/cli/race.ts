// `percpu-maps race`: the seed's sys_clone counter four ways on simulated CPUs.

import { availableParallelism, cpus as hostCpus } from 'node:os';
import { Runtime } from '../cpu/runtime.js';
import { EXPLAIN, MAX_EVENTS, STRATEGIES, VERIFIER_NOTE, runRace, verifyStrategy, type RaceRow, type Strategy } from '../workloads/race/index.js';
import { UsageError, intOption, listOption, parse } from './args.js';
import { fmtFixed, fmtInt, table, wrap } from '../bench/format.js';
import { guardSignals } from '../cpu/signals.js';
import { eventsProgress, progressLine, progressWanted } from './progress.js';
import { formatDump } from '../maps/dump.js';
import { VerifierError } from '../cpu/verifier.js';

export const RACE_HELP = `usage: percpu-maps race [--cpus N] [--events N] [--strategy S,...] [--object] [--json] [--trace] [--dump] [--verifier]

Runs the sys_clone counter of the seed article on N simulated CPUs, four ways:
  racy      cnt++ on a shared ARRAY value, no lock       (loses updates)
  atomic    __sync_fetch_and_add on the shared value
  spinlock  bpf_spin_lock / cnt++ / bpf_spin_unlock      (the seed's code)
  percpu    cnt++ on a PERCPU_ARRAY slot, summed by user space

options:
  --cpus N         simulated CPUs (default: ${availableParallelism()}, this host's cores)
  --events N       events per strategy, spread over the CPUs (default 50,000,000; 8 with --trace)
  --strategy S,..  which strategies (default: all four)
  --object         run each strategy's C program (src/workloads/race/<strategy>.bpf.c, compiled
                   by clang, translated to WebAssembly) instead of its TypeScript twin
  --json           print the results as JSON
  --trace          print the seed's bpf_trace_printk lines (trace_pipe format)
  --dump           print each program's maps after its run, as bpftool map dump does
  --verifier       first check each strategy's program for what the kernel's verifier would
                   reject (the seed's spinlock in a kprobe is); refuse to run if any is`;

export async function raceCommand(argv: string[]): Promise<number> {
  const { values } = parse('race', argv, {
    cpus: { type: 'string' },
    events: { type: 'string' },
    strategy: { type: 'string' },
    json: { type: 'boolean' },
    trace: { type: 'boolean' },
    dump: { type: 'boolean' },
    verifier: { type: 'boolean' },
    object: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(RACE_HELP + '\n');
    return 0;
  }
  const cpus = intOption('race', 'cpus', values.cpus, 1, 1024) ?? availableParallelism();
  const trace = values.trace === true;
  const events = intOption('race', 'events', values.events, 1, MAX_EVENTS) ?? (trace ? 8 : 50_000_000);
  if (trace && events > 10_000) throw new UsageError('race', `--trace prints one line per event; use --events 10000 or fewer (got ${events})`);
  const strategies = listOption('race', 'strategy', values.strategy, STRATEGIES) ?? [...STRATEGIES];
  const json = values.json === true;

  const object = values.object === true;
  if (object && values.verifier === true) {
    throw new UsageError('race', '--verifier checks the TypeScript programs; the C objects of --object go to the kernel\'s own verifier with `percpu-maps run <object> --verify kernel`');
  }
  // Signals are caught from here on, before the CPUs start (which takes a second or more): one
  // that comes meanwhile stops the runs as soon as the runtime exists.
  let current: Runtime | null = null;
  const guard = guardSignals(() => current);
  let rt: Runtime;
  try {
    // Checked here, before any thread starts, so the runtime need not check them again at load.
    if (values.verifier === true) await verifyStrategies(strategies);
    rt = await Runtime.start({ cpus, onWarning: () => {} });
  } catch (e) {
    guard.dispose();
    throw e;
  }
  current = rt;
  if (guard.received) rt.interrupt();
  let rows: RaceRow[] = [];
  // Shown from each strategy's measured run to its end (not over the next one's warm-up).
  const progress = progressLine(!json && progressWanted());
  try {
    if (!json) {
      process.stdout.write(`race lab: the sys_clone counter on ${cpus} simulated CPU${cpus === 1 ? '' : 's'}, ${fmtInt(events)} events per strategy` +
        `${object ? ', the C programs translated to WebAssembly' : ''}\n`);
      for (const w of rt.warnings) process.stdout.write(`warning: ${w}\n`);
      process.stdout.write('\n');
    }
    rows = await runRace({
      cpus,
      events,
      strategies,
      trace,
      dump: values.dump === true,
      object,
      runtime: rt,
      onStart: (strategy: Strategy) => {
        progress.show(eventsProgress(strategy, () => rt.progress(), fmtInt(events)));
      },
      onDone: () => progress.clear(),
    });
  } finally {
    progress.clear();
    current = null;
    await rt.close();
    guard.dispose();
  }

  if (json) {
    process.stdout.write(JSON.stringify({
      command: 'race',
      cpus,
      eventsPerStrategy: events,
      host: { cores: availableParallelism(), cpu: hostCpus()[0]?.model ?? 'unknown', node: process.version },
      interrupted: guard.received,
      rows,
    }, null, 2) + '\n');
  } else {
    process.stdout.write(renderRace(rows) + '\n');
    if (guard.received) process.stdout.write(`\ninterrupted by ${guard.received}: the table shows what finished.\n`);
  }
  return guard.exitCode(0);
}

/** Refuse, before any run, strategies whose program the kernel's verifier would reject. */
async function verifyStrategies(strategies: readonly Strategy[]): Promise<void> {
  for (const s of strategies) {
    const findings = await verifyStrategy(s);
    if (findings.length > 0) throw new VerifierError(s, findings);
  }
}

export function renderRace(rows: RaceRow[]): string {
  const body = rows.map((r) => [
    r.strategy + (r.stopped ? ' (stopped)' : ''),
    String(r.cpus),
    fmtInt(r.expected),
    fmtInt(r.observed),
    fmtInt(r.lost),
    fmtFixed(r.lostPercent, 2),
    fmtFixed(r.seconds, 3),
    fmtFixed(r.mEventsPerSec, 1),
    r.perCpuValues ? r.perCpuValues.map(fmtInt).join(' + ') : '',
  ]);
  const out = [table(['strategy', 'CPUs', 'expected', 'observed', 'lost', 'lost %', 'seconds', 'M events/s', 'per-CPU values'], body, [0, 8])];
  const traced = rows.filter((r) => r.trace && r.trace.length > 0);
  for (const r of traced) {
    out.push('', `trace_pipe (${r.strategy}):`, ...r.trace!);
  }
  for (const r of rows) {
    for (const [name, entries] of Object.entries(r.maps ?? {})) {
      out.push('', `map '${name}' of ${r.strategy} (bpftool map dump):`, formatDump(entries));
    }
  }
  out.push('', 'why:');
  for (const r of rows) out.push(wrap(EXPLAIN[r.strategy], 100, '    ', '  - '));
  out.push('', wrap(VERIFIER_NOTE, 100, '  ', '  '));
  return out.join('\n');
}

