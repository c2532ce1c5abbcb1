#!/usr/bin/env node
// The percpu-maps command line.

import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { raceCommand } from './race.js';
import { workloadCommand } from './workload.js';

type Command = (argv: string[]) => Promise<number>;

/** Every command, once: its one-line summary for the help, and how to run it (the heavy ones load on first use). */
const COMMANDS: Record<string, { summary: string; run: Command }> = {
  race: { summary: 'the sys_clone counter four ways (racy, atomic, spinlock, percpu) on simulated CPUs', run: raceCommand },
  workload: { summary: 'ready-made programs: histogram (PERCPU_ARRAY), pidcount (LRU_HASH), execsnoop (RINGBUF)', run: workloadCommand },
  conformance: {
    summary: 'check every map operation (and, with --programs, eBPF programs) against recorded or live Linux kernel outcomes',
    run: async (argv) => (await import('./conformance.js')).conformanceCommand(argv),
  },
  demo: { summary: 'teaching demos: use-after-delete, verifier, seed', run: async (argv) => (await import('./demo.js')).demoCommand(argv) },
  bench: { summary: 'benchmarks side by side with plain JS and the kernel; the regression gate', run: async (argv) => (await import('./bench.js')).benchCommand(argv) },
  run: {
    summary: 'run a clang-compiled eBPF object (.bpf.o) on simulated CPUs, as bpftool prog run does',
    run: async (argv) => (await import('./run.js')).runCommand(argv),
  },
};

const HELP = `usage: percpu-maps <command> [options]

commands:
${[...Object.entries(COMMANDS).map(([name, c]) => [name, c.summary]), ['help [command]', 'this text, or a command\'s options']].map(([name, summary]) => `  ${name!.padEnd(14)}  ${summary}`).join('\n')}

options:
  --version, -V   print the version

Run 'percpu-maps <command> --help' (or 'percpu-maps help <command>') for a command's options.`;

/** This package's version, from its package.json (two folders up from dist/cli or src/cli). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`percpu-maps ${version()}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    // `help <command>` is `<command> --help`: each command writes its own help.
    const c = COMMANDS[rest[0]!];
    if (c === undefined || rest.length > 1) {
      process.stderr.write(`percpu-maps: ${rest.length > 1 ? `help takes one command, got ${rest.join(' ')}` : `no command '${rest[0]}'`}; commands: ${Object.keys(COMMANDS).join(', ')} (see 'percpu-maps help')\n`);
      return 2;
    }
    return c.run(['--help']);
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name]?.run;
  try {
    if (!command) throw new UsageError('', `unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
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
