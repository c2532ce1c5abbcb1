// Running the suite for the command line: progress on stderr (a live line on a terminal, one
// line per row otherwise), Ctrl-C keeps the rows measured so far, and the result with its
// environment.

import { loadavg } from 'node:os';
import { fmtInt } from './format.js';
import { guardSignals } from '../cpu/signals.js';
import { Suite, type SuiteOptions } from './suite.js';
import { environment } from './env.js';
import { RESULT_FORMAT, type BenchResult, type Row, type Settings } from './schema.js';
import { fmtM } from './table.js';

const round2 = (x: number): number => Math.round(x * 100) / 100;

const name = (row: Row): string => `${row.side}${row.params.variant ? ` ${String(row.params.variant)}` : ''} ${row.label}${row.cpus ? ` @${row.cpus}` : ''}`;

/** Run the suite with progress on stderr and Ctrl-C handling; returns the result and the exit code. */
export async function measure(options: SuiteOptions, settings: Settings, log: (s: string) => void, quiet = false): Promise<{ result: BenchResult; exitCode: number }> {
  const suite = new Suite(options);
  const guard = guardSignals(() => suite);
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const tty = process.stderr.isTTY === true;
  let ticker: NodeJS.Timeout | null = null;
  let current = '';
  let rows: Row[] = [];
  try {
    rows = await suite.run({
      onRowStart: (row, i, n) => {
        current = `[${i + 1}/${n}] ${name(row)}`;
        if (tty) {
          if (ticker) clearInterval(ticker);
          ticker = setInterval(() => process.stderr.write(`\r\x1b[K${current}: ${fmtInt(suite.progress())} events`), 250);
        }
      },
      onSample: (row, done, total) => {
        if (tty) process.stderr.write(`\r\x1b[K${name(row)}: sample ${done}/${total}`);
      },
      onRowEnd: (row, i, n) => {
        if (quiet && !tty) return;
        const what = row.status === 'measured' && row.summary ? `${fmtM(row.summary.rate)} M/s` : `not measured (${row.reason})`;
        process.stderr.write(`${tty ? '\r\x1b[K' : ''}[${i + 1}/${n}] ${name(row)}: ${what}\n`);
      },
    });
  } finally {
    if (ticker) clearInterval(ticker);
    guard.dispose();
  }
  const result: BenchResult = {
    format: RESULT_FORMAT,
    createdAt: new Date(started).toISOString(),
    durationSec: (Date.now() - started) / 1000,
    env: { ...environment(suite.kernelTools, suite.tools), loadAverage: [round2(loadBefore), round2(loadavg()[0]!)] },
    settings,
    interrupted: guard.received,
    rows,
  };
  if (guard.received) log(`${guard.received}: stopped; keeping the ${rows.filter((r) => r.status === 'measured').length} rows measured`);
  return { result, exitCode: guard.exitCode(0) };
}
