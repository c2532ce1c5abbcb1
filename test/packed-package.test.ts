// What the installed package carries for its CLI (issue 12.2): the conformance scenarios, the
// bench baseline and the C sources built at run time; and where bench results go.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resultsDir } from '../src/bench/results-dir.js';
import { inProject, packedProject } from './packed.js';

describe('the packed package', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = await packedProject();
    const tarball = readFileSync(join(dir, '.ready'), 'utf8');
    files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').map((f) => f.replace(/^package\//, ''));
  }, 300_000);

  it('ships every conformance scenario (user-space and program), the bench baseline and the C sources the CLI compiles', () => {
    const scenarios = execFileSync('git', ['ls-files', 'test/conformance/*.json'], { encoding: 'utf8', cwd: join(import.meta.dirname, '..') }).trim().split('\n');
    expect(scenarios.length).toBeGreaterThan(40);
    expect(scenarios.filter((f) => !files.includes(f))).toEqual([]);
    expect(['bench/baseline.json', 'src/conformance/bpf-helper.c', 'src/bench/kernel/loader.c', 'src/bench/kernel/counters.bpf.c'].filter((f) => !files.includes(f))).toEqual([]);
  });

  it('runs real eBPF objects from the install: the seed demo and the race lab\'s C programs', async () => {
    const seed = await inProject(dir, 'npx', ['percpu-maps', 'demo', 'seed', '--cpus', '1', '--events', '25']);
    expect([seed.code, seed.stdout.match(/bpf_trace_printk: sys_clone count: 0/g)?.length]).toEqual([0, 6]);
    const race = await inProject(dir, 'npx', ['percpu-maps', 'race', '--object', '--cpus', '2', '--events', '100000', '--strategy', 'atomic,percpu', '--json']);
    expect(race.code).toBe(0);
    const rows = (JSON.parse(race.stdout) as { rows: { strategy: string; program: string; observed: number }[] }).rows;
    expect(rows.map((r) => [r.strategy, r.program, r.observed])).toEqual([['atomic', 'object', 100_000], ['percpu', 'object', 100_000]]);
  });

  it('runs `percpu-maps conformance` from the install, against the shipped scenarios', async () => {
    const r = await inProject(dir, 'npx', ['percpu-maps', 'conformance', 'array-access', 'hash-batch']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^percpu-maps conformance \(check\): recorded on kernel .*\n {2}scenarios 2 {2}steps \d+ {2}agree \d+ {2}differ 0/);
    const p = await inProject(dir, 'npx', ['percpu-maps', 'conformance', '--programs', 'global-data', 'isa-alu64']);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/\n {2}scenarios 2 {2}steps \d+ {2}agree \d+ {2}differ 0 {2}skipped 0/);
  });
});

describe('where bench results go without --out', () => {
  it('bench/results/ under the current directory', () => {
    expect(resultsDir('/home/ann/project')).toBe('/home/ann/project/bench/results');
  });
  it('never inside node_modules: a folder in the home directory instead', () => {
    expect(resultsDir('/home/ann/project/node_modules/percpu-maps')).toBe(join(homedir(), 'percpu-maps-bench-results'));
  });
});
