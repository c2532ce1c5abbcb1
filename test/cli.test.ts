// The command line as a newcomer meets it (issue 12.8): --version, help for every command, demo
// output that fits 100 columns, execsnoop --json with its records, progress lines that leave no
// stale characters and name what is running, only on a terminal (never in a pipe or on TERM=dumb).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderUseAfterDelete, useAfterDelete } from '../src/cli/demo.js';
import { Runtime } from '../src/cpu/runtime.js';
import { execsnoop } from '../src/workloads/execsnoop/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const run = promisify(execFile);

interface Out { code: number; stdout: string; stderr: string }
async function cli(args: string[], env: Record<string, string> = {}): Promise<Out> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** The CLI on a terminal: `script` gives it a pseudo-terminal; stdout and stderr both come back, as typed. */
async function onTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
  const command = ['node', '--import', 'tsx', 'src/cli/main.ts', ...args].join(' ');
  const r = await run('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return r.stdout;
}

describe('--version', () => {
  it.each([['--version'], ['-V']])('%s prints the name and version', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, stdout: `percpu-maps ${VERSION}\n`, stderr: '' });
  });
});

describe('help for every command', () => {
  const COMMANDS = ['race', 'workload', 'conformance', 'demo', 'bench'];
  const outs = new Map<string, [Out, Out]>();
  beforeAll(async () => {
    for (const c of COMMANDS) outs.set(c, [await cli(['help', c]), await cli([c, '--help'])]);
  }, 120_000);

  it.each(COMMANDS)('`help <command>` prints what `<command> --help` prints, its usage first: %s', (c) => {
    const [viaHelp, viaFlag] = outs.get(c)!;
    expect([viaHelp.code, viaFlag.code]).toEqual([0, 0]);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(new RegExp(`^usage: percpu-maps ${c} `));
  });

  it('`help nosuch` is one line naming the commands, exit 2', async () => {
    const r = await cli(['help', 'nosuch']);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', "percpu-maps: no command 'nosuch'; commands: race, workload, conformance, demo, bench, run (see 'percpu-maps help')\n"]);
  });

  it('the overall help lists --version', async () => {
    expect((await cli(['help'])).stdout).toContain('--version');
  });
});

describe('demo use-after-delete', () => {
  it('fits 100 columns', () => {
    const lines = renderUseAfterDelete(useAfterDelete()).split('\n');
    expect(lines.filter((l) => l.length > 100)).toEqual([]);
    expect(lines.join('\n')).toContain('bpf_map_update_elem(flows, 2, {packets 1, octets 40}, BPF_ANY) = 0');
  });
});

describe('workload execsnoop', () => {
  it('gives every record received in its data (what --json prints)', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const r = await execsnoop.run({ runtime: rt, events: 3000, records: true });
      const d = r.data as { received: number; records: { cpu: number; seq: number; pid: number; ppid: number; comm: string; file: string }[] };
      expect(d.records).toHaveLength(d.received);
      expect(d.records.filter((x) => x.cpu === 0).map((x) => x.seq).slice(0, 3)).toEqual([0, 1, 2]);
      expect(d.records.find((x) => x.cpu === 1 && x.seq === 9)).toMatchObject({ pid: 4009, ppid: 1, comm: 'cat', file: '/usr/bin/cat' });
    } finally {
      await rt.close();
    }
  });

  it('says in its output why each pid shows up once per CPU', async () => {
    const rt = await Runtime.start({ cpus: 2, onWarning: () => {} });
    try {
      const r = await execsnoop.run({ runtime: rt, events: 100 });
      expect(r.text).toContain('every CPU runs the same 500 simulated tasks (pids 4000 to 4499, in turn), so each pid appears once per CPU');
    } finally {
      await rt.close();
    }
  });
});

describe('progress lines', () => {
  it('race on a terminal: every redraw clears the line, and each label is the strategy running', async () => {
    const out = await onTerminal(['race', '--cpus', '2', '--events', '200000000', '--strategy', 'racy,percpu']);
    // The terminal turns each '\n' into '\r\n'; a redraw is a '\r' of the CLI's own.
    const redraws = out.split(/\r(?!\n)/).slice(1);
    expect(redraws.length).toBeGreaterThan(1);
    expect(redraws.filter((r) => !r.startsWith('\x1b[K'))).toEqual([]);
    // Labels come in the order the strategies ran, and each one's count only grows.
    const seen = redraws.map((r) => /^\x1b\[K {2}(\w+): ([\d,]+) \/ 200,000,000 events/.exec(r)).filter((m) => m !== null);
    const labels = seen.map((m) => m[1]!);
    expect(labels).toEqual([...labels].sort((a, b) => ['racy', 'percpu'].indexOf(a) - ['racy', 'percpu'].indexOf(b)));
    for (const label of new Set(labels)) {
      const counts = seen.filter((m) => m[1] === label).map((m) => Number(m[2]!.replace(/,/g, '')));
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }
  });

  it('workload on a terminal shows how far the run is', async () => {
    const out = await onTerminal(['workload', 'histogram', '--cpus', '2', '--events', '200000000']);
    expect(out).toMatch(/\r\x1b\[K {2}histogram: [\d,]+ \/ 200,000,000 events/);
  });

  it('no progress line in a pipe, nor on a terminal that says TERM=dumb', async () => {
    const piped = await cli(['workload', 'histogram', '--cpus', '2', '--events', '100000000']);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    const dumb = await onTerminal(['race', '--cpus', '2', '--events', '100000000', '--strategy', 'racy'], { TERM: 'dumb' });
    expect(dumb).not.toContain('\x1b[K');
    expect(dumb).toContain('racy ');
  });
});
