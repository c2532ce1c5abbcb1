// Ctrl-C and SIGTERM during long CLI commands, on a real child process of the CLI: the workers
// stop, the partial results print, and the exit code is 128 + the signal (130, 143).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Outcome { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Threads of a process (its CPU workers among them), from /proc. */
function threads(pid: number): number {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Start the CLI, wait for `ready` on stdout (or, for commands that print only at the end, until the
 * child has started `ready` more threads: its CPU workers), `delayMs` more, then send `signal`.
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
      let base = 0;
      const poll = setInterval(() => {
        const n = threads(child.pid!);
        if (base === 0) base = n;
        else if (n >= base + ready) {
          clearInterval(poll);
          fire();
        }
      }, 20);
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
    const r = await interrupt(['workload', 'histogram', '--cpus', '2', '--events', '4000000000'], 2, 2000, 'SIGTERM');
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.stdout).toMatch(/^histogram: /);
    expect(r.stdout).toMatch(/nsecs +: count +distribution/);
  });
});
