#!/usr/bin/env node
// The percpu-maps command line.

import { UsageError } from './args.js';
import { raceCommand } from './race.js';
import { workloadCommand } from './workload.js';

const HELP = `usage: percpu-maps <command> [options]

commands:
  race          the sys_clone counter four ways (racy, atomic, spinlock, percpu) on simulated CPUs
  workload      ready-made programs: histogram (PERCPU_ARRAY), pidcount (LRU_HASH), execsnoop (RINGBUF)
  conformance   check every map operation against recorded (or live) Linux kernel outcomes
  bench         benchmarks side by side with plain JS and the kernel; the regression gate
  demo          teaching demos: use-after-delete, verifier
  help          this text

Run 'percpu-maps <command> --help' for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  race: raceCommand,
  workload: workloadCommand,
  conformance: async (argv) => (await import('./conformance/index.js')).conformanceCommand(argv),
  demo: async (argv) => (await import('./demo.js')).demoCommand(argv),
  bench: async (argv) => (await import('./bench.js')).benchCommand(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError('', `unknown command '${name}'; commands: ${Object.keys(commands).join(', ')}`);
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`percpu-maps${e.command ? ' ' + e.command : ''}: ${e.message} (see 'percpu-maps ${e.command || 'help'}${e.command ? ' --help' : ''}')\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`percpu-maps ${name}: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}\n`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
