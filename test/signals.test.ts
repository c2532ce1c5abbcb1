// Ctrl-C and SIGTERM during long CLI commands, on a real child process of the CLI: the workers
// stop, the partial results print, and the exit code is 128 + the signal (130, 143).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { raceCommand } from '../src/cli/race.js';
import { workloadCommand } from '../src/cli/workload.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Outcome { code: number | null; signal: string | null; stdout: string; stderr: string }

/**
 * Threads of a process, other than its main thread, that used at least 30 ms of CPU time in the
 * last `since` sample: CPU workers running events. (Node catches SIGINT and SIGTERM from its start,
 * to restore the terminal, so SigCgt in /proc/<pid>/status cannot tell when the CLI's own handlers
 * are in; a thread count is no better, as Node starts threads of its own while modules load.)
 */
function busyThreads(pid: number, since: Map<string, number>): number {
  let busy = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (tid === String(pid)) continue;
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
      if (since.has(tid) && ticks - since.get(tid)! >= 3) busy++;
      since.set(tid, ticks);
    }
  } catch {
    // the process is gone, or a thread ended between the listing and the read
  }
  return busy;
}

/**
 * Start the CLI, wait for `ready` on stdout (or, for commands that print only at the end, until
 * `ready` of its threads are busy: its CPU workers running events), `delayMs` more, then send `signal`.
 */
function interrupt(args: string[], ready: string | number, delayMs: number, signal: NodeJS.Signals): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the CLI did not exit; stdout so far:\n${stdout}\nstderr:\n${stderr}`)); }, 60_000);
    const fire = () => {
      sent = true;
      setTimeout(() => child.kill(signal), delayMs);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!sent && typeof ready === 'string' && stdout.includes(ready)) fire();
    });
    if (typeof ready === 'number') {
      // The command installs its handlers before it starts the CPUs, so once they are busy (two
      // samples in a row; starting up counts too, and a signal then stops the runs before they
      // begin, which the command handles as well) the signal is caught.
      const since = new Map<string, number>();
      let streak = 0;
      const poll = setInterval(() => {
        streak = busyThreads(child.pid!, since) >= ready ? streak + 1 : 0;
        if (streak === 2) {
          clearInterval(poll);
          fire();
        }
      }, 100);
      child.on('exit', () => clearInterval(poll));
    }
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.on('exit', (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

describe('interrupting the CLI', () => {
  it('race: SIGINT mid-run stops the CPUs, prints the stopped row and exits 130', async () => {
    const r = await interrupt(['race', '--cpus', '2', '--events', '4000000000', '--strategy', 'atomic,percpu'], 'race lab:', 2000, 'SIGINT');
    expect([r.code, r.signal]).toEqual([130, null]);
    expect(r.stderr).toContain('SIGINT: stopping the CPUs; partial results follow');
    expect(r.stdout).toMatch(/^atomic \(stopped\) +2 /m);
    expect(r.stdout).not.toMatch(/^percpu/m);
    expect(r.stdout).toContain('interrupted by SIGINT: the table shows what finished.');
  });

  it('race: SIGTERM right at the start (during the warm-up run) still stops the measured run, exit 143', async () => {
    const r = await interrupt(['race', '--cpus', '2', '--events', '4000000000', '--strategy', 'percpu'], 'race lab:', 0, 'SIGTERM');
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.stdout).toMatch(/^percpu \(stopped\) +2 /m);
    expect(r.stdout).toContain('interrupted by SIGTERM');
  });

  it('race --json: SIGINT gives the JSON with "interrupted": "SIGINT" and exit 130', async () => {
    const child = interrupt(['race', '--cpus', '1', '--events', '4000000000', '--strategy', 'racy', '--json'], 1, 2000, 'SIGINT');
    const r = await child;
    expect(r.code).toBe(130);
    const json = JSON.parse(r.stdout) as { interrupted: string; rows: { strategy: string; stopped: boolean }[] };
    expect([json.interrupted, json.rows.map((x) => [x.strategy, x.stopped])]).toEqual(['SIGINT', [['racy', true]]]);
  });

  it('workload histogram: SIGTERM prints the histogram so far and exits 143', async () => {
    const r = await interrupt(['workload', 'histogram', '--cpus', '2', '--events', '4000000000'], 'histogram: ', 2000, 'SIGTERM');
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.stdout).toMatch(/^histogram: /);
    expect(r.stdout).toMatch(/nsecs +: count +distribution/);
  });
});

// A signal that comes while the CPUs are still starting (about a second on a busy machine) is
// caught too: the commands install their handlers before Runtime.start. Played in this process:
// the signal is emitted in the same tick as the command starts, long before its CPUs exist.
describe('a signal before the CPUs have started', () => {
  it('race: caught, nothing runs, the stopped row is printed, exit 130', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    try {
      const code = raceCommand(['--cpus', '1', '--events', '200000000', '--strategy', 'racy', '--json']);
      process.emit('SIGINT', 'SIGINT');
      expect(await code).toBe(130);
    } finally {
      process.stdout.write = write;
    }
    const json = JSON.parse(out.join('')) as { interrupted: string; rows: { strategy: string; stopped: boolean; observed: number }[] };
    expect([json.interrupted, json.rows.map((r) => [r.strategy, r.stopped, r.observed])]).toEqual(['SIGINT', [['racy', true, 0]]]);
  });

  it('workload: caught, nothing runs, exit 143', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    try {
      const code = workloadCommand(['histogram', '--cpus', '1', '--events', '200000000', '--json']);
      process.emit('SIGTERM', 'SIGTERM');
      expect(await code).toBe(143);
    } finally {
      process.stdout.write = write;
    }
    const json = JSON.parse(out.join('')) as { events: number; stopped: boolean };
    expect([json.events, json.stopped]).toEqual([0, true]);
  });
});
