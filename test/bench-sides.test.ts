// The benchmark's reference sides on their own (no timing is asserted): the C threads count
// exactly where their strategy is exact, every side says why when its tools are missing, and the
// kernel's loader answers the map-operation and bpf(2) commands the map and user rows use, with
// the setup the LPM trie, prog array, perf event array and maps of maps rows need.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernelReference, KernelLoader } from '../src/bench/kernel.js';
import { buildLimit, LimitDriver } from '../src/bench/sides/limit.js';

function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env[name];
  process.env[name] = value;
  return fn().finally(() => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  });
}

/** The live kernel's loader, or why it cannot start here (no clang, libbpf, or bpf() permission). */
const live: KernelLoader | string = await buildKernelReference().then((b) => KernelLoader.start(b)).catch((e: Error) => e.message);
if (typeof live === 'string') process.stderr.write(`\n*** bench-sides.test.ts: the live-kernel tests are SKIPPED: ${live} ***\n\n`);

describe('the limit side (C threads)', () => {
  let driver: LimitDriver | null = null;
  beforeAll(async () => {
    driver = await LimitDriver.start((await buildLimit()).bin);
  }, 120_000);
  afterAll(async () => { await driver?.close(); });

  for (const [strategy, stride] of [['atomic', 0], ['spinlock', 0], ['spin', 0], ['percpu', 8], ['percpu', 128], ['percpu-atomic', 64]] as const) {
    it(`${strategy}${stride ? ` at stride ${stride}` : ''}: 3 threads x 100,000 events count 300,000`, async () => {
      const r = await driver!.run(strategy, stride || 128, 3, 100_000);
      expect(r.count).toBe(300_000);
      expect(r.wallNs).toBeGreaterThan(0);
    });
  }

  it('racy loses no update on one thread', async () => {
    expect((await driver!.run('racy', 128, 1, 100_000)).count).toBe(100_000);
  });

  it('refuses an unknown strategy with the errno and the name', async () => {
    await expect(driver!.run('nope' as 'racy', 128, 2, 10)).rejects.toThrow(/errno 22: unknown strategy 'nope'/);
  });

  it('says "not measured" and what to install when there is no C compiler', async () => {
    await expect(withEnv('CC', 'no-such-cc-for-the-test', () => buildLimit())).rejects.toThrow(/^not measured: no C compiler 'no-such-cc-for-the-test' to build the C threads/);
  });
});

describe('the kernel side', () => {
  it('says "not measured" and what to install when there is no clang', async () => {
    await expect(withEnv('CLANG', 'no-such-clang-for-the-test', () => buildKernelReference())).rejects.toThrow(/^not measured: no clang to build the eBPF programs/);
  });

  describe.skipIf(typeof live === 'string')('with the live kernel', () => {
    const loader = live as KernelLoader;
    afterAll(async () => { await loader.close(); });

    it('loads the counters, the map operations and the maps of maps\' operations', () => {
      expect(loader.possibleCpus).toBeGreaterThan(0);
    });

    it('runs a map operation on a filled map and counts nothing for it', async () => {
      await loader.fill('hash', 1024);
      const r = await loader.run('hash_lookup', '-', [0], 1000);
      expect(r.count).toBeNull();
      expect(r.nsPerRun).toHaveLength(1);
    });

    it('consumes a ring buffer while its programs run: every record submitted is counted', async () => {
      // 1,000 records of 16 bytes fit the 1 MiB ring: none is dropped, so all are consumed.
      const r = await loader.run('ringbuf_output', 'ringbuf', [0], 1000);
      expect(r.count).toBe(1000);
    });

    // The map rows of issue 16: what the loader sets up before them, proven by what each program returns.
    it('fills the LPM trie with routes: every lookup finds its address\'s route (returns 1), an update replaces one (0)', async () => {
      expect((await loader.run('lpm_trie_lookup', '-', [0], 1000)).retvals).toEqual([0]);
      await loader.fill('lpm_trie', 1024);
      expect((await loader.run('lpm_trie_lookup', '-', [0], 1000)).retvals).toEqual([1]);
      expect((await loader.run('lpm_trie_update', '-', [0], 1000)).retvals).toEqual([0]);
    });

    it('places prog_array_target in the prog array: the tail call falls through (1) before, reaches it (0) after', async () => {
      expect((await loader.run('prog_array_tailcall', '-', [0], 100)).retvals).toEqual([1]);
      await loader.place('prog_array', 0, 'prog_array_target');
      const r = await loader.run('prog_array_tailcall', '-', [0], 1000);
      expect(r.retvals).toEqual([0]);
      expect(r.count).toBeNull();
    });

    it('places the inner maps: an outer lookup finds nothing (2) before, the inner key (1) after', async () => {
      for (const outer of ['array_of_maps', 'hash_of_maps']) {
        expect((await loader.run(`${outer}_lookup`, '-', [0], 100)).retvals, outer).toEqual([2]);
        await loader.place(outer, 0, 'inner0');
        await loader.place(outer, 1, 'inner1');
        expect((await loader.run(`${outer}_lookup`, '-', [0], 1000)).retvals, outer).toEqual([1]);
      }
    });

    it('opens a BPF output event and ring per CPU for a perf run and drains them: every sample is consumed', async () => {
      // 1,000 samples of 24 bytes fit the ring: none is lost, so all are consumed, and each output succeeded (0).
      const r = await loader.run('perf_event_array_output', 'perf_event_array', [0], 1000);
      expect([r.count, r.retvals]).toEqual([1000, [0]]);
      // The rings are freed after the run, which empties the slots: an output now finds no event (ENOENT).
      expect((await loader.run('perf_event_array_output', '-', [0], 10)).retvals).toEqual([2]);
    });

    it('names the map, the name and the errno when a placement fails', async () => {
      await expect(loader.place('array', 0, 'inner0')).rejects.toThrow(/placing inner0 at key 0 of array: errno 22: 'array' is neither a prog array nor a map of maps/);
      await expect(loader.place('prog_array', 0, 'no_such_program')).rejects.toThrow(/errno 2: no program 'no_such_program' in the objects to place in 'prog_array'/);
      await expect(loader.place('array_of_maps', 0, 'hash')).rejects.toThrow(/placing hash at key 0 of array_of_maps: errno 22: placing 'hash' at key 0 of 'array_of_maps'/);
    });

    it('times bpf(2) calls: a batch lookup and a dump see every entry', async () => {
      expect((await loader.sys('lookup-batch', 'hash', 5000, 2, 0)).events).toBe(10_000);
      expect((await loader.sys('dump', 'hash', 5000, 1, 0)).events).toBe(5000);
      expect((await loader.sys('lookup', 'hash', 1024, 100, 0)).events).toBe(100);
    });

    it('names the program and the errno when a command fails', async () => {
      await expect(loader.run('no_such_program', '-', [0], 1)).rejects.toThrow(/no_such_program on CPUs 0: errno 2: no program 'no_such_program'/);
      await expect(loader.sys('lookup', 'hash', 1000, 1, 0)).rejects.toThrow(/errno 22: entries must be a power of two/);
    });
  });
});
