// The benchmark's reference sides on their own (no timing is asserted): the C threads count
// exactly where their strategy is exact, every side says why when its tools are missing, and the
// kernel's loader answers the map-operation and bpf(2) commands the map and user rows use.

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

    it('loads the counters and the map operations', () => {
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
