// `percpu-maps workload <name>`: run one of the ready-made workloads and print what user space sees.

import { availableParallelism } from 'node:os';
import { Runtime } from '../cpu/runtime.js';
import { formatDump } from '../maps/dump.js';
import { U32_MAX } from '../maps/limits.js';
import { WORKLOADS } from '../workloads/index.js';
import { UsageError, intOption, parse } from './args.js';
import { fmtFixed, fmtInt, wrap } from '../bench/format.js';
import { guardSignals } from '../cpu/signals.js';
import { eventsProgress, progressLine, progressWanted } from './progress.js';

const list = () => WORKLOADS.map((w) => `  ${w.name.padEnd(12)} ${w.title}`).join('\n');

export const WORKLOAD_HELP = () => `usage: percpu-maps workload <name> [--cpus N] [--events N] [--json] [--dump]

workloads:
${list()}

options:
  --cpus N     simulated CPUs (default: ${availableParallelism()})
  --events N   events to fire (default: the workload's own)
  --json       print the result as JSON
  --dump       print the program's maps after the run, as bpftool map dump does`;

export async function workloadCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('workload', argv, {
    cpus: { type: 'string' },
    events: { type: 'string' },
    json: { type: 'boolean' },
    dump: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    process.stdout.write(WORKLOAD_HELP() + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('workload', positionals.length === 0 ? `name a workload: ${WORKLOADS.map((w) => w.name).join(', ')}` : `one workload at a time, got ${positionals.join(' ')}`);
  const workload = WORKLOADS.find((w) => w.name === positionals[0]);
  if (!workload) throw new UsageError('workload', `unknown workload '${positionals[0]}'; choose from ${WORKLOADS.map((w) => w.name).join(', ')}`);
  const cpus = intOption('workload', 'cpus', values.cpus, 1, 1024) ?? availableParallelism();
  const events = intOption('workload', 'events', values.events, 1, U32_MAX * cpus) ?? workload.defaultEvents;

  // Signals are caught from before the CPUs start: one that comes meanwhile stops the run at once.
  let rt: Runtime | null = null;
  const guard = guardSignals(() => rt);
  try {
    rt = await Runtime.start({ cpus, onWarning: () => {} });
  } catch (e) {
    guard.dispose();
    throw e;
  }
  if (guard.received) rt.interrupt();
  const json = values.json === true;
  const progress = progressLine(!json && progressWanted());
  try {
    const started = rt;
    // The title first, as the CPUs start on the events: something to read during a long run.
    if (!json) process.stdout.write(`${workload.name}: ${workload.title}\n`);
    progress.show(eventsProgress(workload.name, () => started.progress(), fmtInt(events)));
    const result = await workload.run({ runtime: rt, events, dump: values.dump === true, records: json });
    progress.clear();
    if (json) {
      process.stdout.write(JSON.stringify({ command: 'workload', workload: workload.name, cpus, events: result.run.events, stopped: result.run.stopped,
        seconds: result.run.wallNs / 1e9, data: result.data, ...(result.maps ? { maps: result.maps } : {}) }, null, 2) + '\n');
    } else {
      const out = [`${fmtInt(result.run.events)} events on ${cpus} CPU${cpus === 1 ? '' : 's'} in ${fmtFixed(result.run.wallNs / 1e9, 3)} s`, '', result.text];
      for (const [name, entries] of Object.entries(result.maps ?? {})) out.push('', `map '${name}' (bpftool map dump):`, formatDump(entries));
      out.push('', wrap(workload.explain, 100, '  ', '  '));
      process.stdout.write(out.join('\n') + '\n');
    }
  } finally {
    progress.clear();
    await rt.close();
    guard.dispose();
  }
  return guard.exitCode(0);
}
