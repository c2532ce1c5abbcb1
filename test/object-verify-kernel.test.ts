// loadObject(..., { verify: 'kernel' }): the live kernel's verifier judges the same object before it
// runs here. Accepted: it loads, unchecked unless asked (the kernel vouches for its accesses).
// Refused: a KernelVerifierError with the kernel's own words. No kernel to ask: a
// KernelUnavailableError saying what is missing. Where this machine cannot ask the kernel, the
// accepted and refused cases are skipped loudly and the unavailable one runs here instead.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { KernelUnavailableError, KernelVerifierError, ProgramLoadError } from '../src/cpu/errors.js';
import { kernelAvailability, kernelPathOf, openObjectFile, rawObject, verifyInKernel } from '../src/object/index.js';
import { assemble } from '../src/conformance/program/asm.js';

const conf = (name: string): string => new URL(`./conformance/programs/${name}.bpf.o`, import.meta.url).pathname;
const SEED = new URL('../src/workloads/seed/seed.bpf.o', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

const avail = await kernelAvailability();
if (!avail.ok) console.warn(`\n*** VERIFY KERNEL (accepted, refused) SKIPPED: ${avail.reason} ***\n`);

async function refusal(p: Promise<unknown>): Promise<KernelVerifierError> {
  const e = await p.catch((x: unknown) => x);
  if (!(e instanceof KernelVerifierError)) throw new Error(`expected a KernelVerifierError, got ${String(e)}`);
  return e;
}

describe.skipIf(!avail.ok)('verify: \'kernel\' where the kernel can be asked', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('loads what the kernel accepts, with its verdict, unchecked by default', async () => {
    const o = await rt.loadObject(conf('testrun'), { verify: 'kernel' });
    try {
      const k = o.kernel!;
      expect(k.verdict === 'accepted' && [k.programs, k.via]).toEqual([['tc_len', 'xdp_len', 'raw_args', 'sys_double', 'tp', 'kp'], 'libbpf']);
      expect(k.verdict === 'accepted' && k.logs.raw_args).toMatch(/^processed 6 insns \(limit 1000000\)/);
      expect(o.checked).toBe(false);
      expect((await rt.testRun('raw_args', { ctx: new Uint8Array(new BigUint64Array([1n, 2n, 3n]).buffer) })).retval).toBe(6);
    } finally {
      await o.unload();
    }
  });

  it('stays checked when asked to', async () => {
    const o = await rt.loadObject(conf('testrun'), { verify: 'kernel', checked: true });
    try {
      expect(o.checked).toBe(true);
    } finally {
      await o.unload();
    }
  });

  it('refuses what the kernel refuses, with the program, the errno, the log and its line', async () => {
    const e = await refusal(rt.loadObject(conf('globals'), { verify: 'kernel' }));
    expect(e).toBeInstanceOf(ProgramLoadError);
    expect([e.program, e.errno, e.line]).toEqual(['write_rodata', 'EACCES', 'write into map forbidden, value_size=24 off=0 size=4']);
    expect(e.log).toContain('3: (63) *(u32 *)(r1 +0) = r2');
    expect(e.message).toBe("the kernel's verifier refused program 'write_rodata' of object 'globals' (EACCES): write into map forbidden, value_size=24 off=0 size=4. " +
      "Nothing was loaded; fix the program (the whole log is in .log), or load it without verify: 'kernel' to run it here checked.");
  });

  it('asks only about the programs that are loaded', async () => {
    const o = await rt.loadObject(conf('globals'), { verify: 'kernel', programs: ['globals'] });
    try {
      expect(o.kernel?.verdict).toBe('accepted');
    } finally {
      await o.unload();
    }
  });

  it('hands the seed\'s legacy SEC("maps") object to the kernel raw, and reports its refusal', async () => {
    expect(kernelPathOf(openObjectFile(SEED))).toBe('raw');
    const e = await refusal(rt.loadObject(SEED, { verify: 'kernel' }));
    expect([e.program, e.errno, e.line]).toEqual(['hello_world', 'EINVAL', "map 'counter' has to have BTF in order to use bpf_spin_lock"]);
  });

  it('verifies an object built from instructions (rawObject): accepted and refused', async () => {
    const ok = rawObject('hand', [], [{ name: 'p', section: 'syscall', insns: assemble(['mov64 r0, 0', 'exit'], []) }]);
    expect(await verifyInKernel(ok)).toMatchObject({ verdict: 'accepted', programs: ['p'], via: 'raw' });
    const bad = rawObject('hand', [], [{ name: 'p', section: 'syscall', insns: assemble(['mov64 r0, r2', 'exit'], []) }]);
    const v = await verifyInKernel(bad);
    expect(v.verdict === 'refused' && [v.program, v.errno, v.line]).toEqual(['p', 'EACCES', 'R2 !read_ok']);
  });
});

/** The real CLI in a process of its own. */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!avail.ok)('percpu-maps run --verify kernel', () => {
  it('prints the seed\'s refusal and does not run it (exit 1)', () => {
    const r = cli('run', SEED, '--verify', 'kernel');
    expect([r.code, r.stdout.trimEnd().split('\n')]).toEqual([1, [
      "kernel verifier: refused program 'hello_world' (EINVAL): map 'counter' has to have BTF in order to use bpf_spin_lock",
      "(the verifier's log: --verbose or --json)",
      'The object was not run.',
    ]]);
  });

  it('prints the log of a refusal with --verbose', () => {
    const r = cli('run', conf('globals'), '--verify', 'kernel', '--verbose');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('verifier log (its end):\n0: R1=ctx() R10=fp0\n');
    expect(r.stdout).toContain('write into map forbidden, value_size=24 off=0 size=4\nprocessed 3 insns');
  });

  it('prints an acceptance, then runs the program unchecked; --json carries the verdict and each program\'s statistics', () => {
    const data = '000102030405060708090a0b0c0d0e0f10';
    const r = cli('run', conf('testrun'), '--verify', 'kernel', '--probe', 'tc', '--data', data);
    expect(r.stdout.trimEnd().split('\n').slice(0, 3)).toEqual([
      'kernel verifier: accepted tc_len, xdp_len, raw_args, sys_double, tp, kp (through libbpf)',
      'testrun: tc_len (tc) on CPU 0, unchecked',
      'events:       1',
    ]);
    const j = JSON.parse(cli('run', conf('testrun'), '--verify', 'kernel', '--probe', 'tc', '--data', data, '--json').stdout) as { checked: boolean; kernel: { verdict: string; logs: Record<string, string> } };
    expect([j.checked, j.kernel.verdict]).toEqual([false, 'accepted']);
    expect(j.kernel.logs.tc_len).toMatch(/^processed \d+ insns/);
  });
});

describe('verify: \'kernel\' where the kernel cannot be asked', () => {
  it.skipIf(avail.ok)('refuses to load, saying what is missing', async () => {
    const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
    try {
      const e = await rt.loadObject(conf('testrun'), { verify: 'kernel' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KernelUnavailableError);
      expect((e as KernelUnavailableError).reason).toBe((avail as { reason: string }).reason);
    } finally {
      await rt.close();
    }
  });

  // As root, ask again as an unprivileged user in a process of its own: the kernel's EPERM, said plainly.
  it.skipIf(!avail.ok || process.getuid?.() !== 0)('tells a user without the right to load programs to run as root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-nobody-'));
    chmodSync(dir, 0o755);
    const script = join(dir, 'nobody.mts');
    writeFileSync(script, `import { Runtime } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
try { await rt.loadObject(${JSON.stringify(conf('testrun'))}, { verify: 'kernel' }); console.log('loaded'); }
catch (e) { console.log(e.name + ': ' + e.message); }
finally { await rt.close(); }
`);
    chmodSync(script, 0o644);
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: dir }, timeout: 120_000 });
    // A node binary the unprivileged user cannot reach (in a root-only folder) fails the spawn itself: say so.
    expect(r.error?.message, `spawning ${process.execPath} as uid 65534`).toBeUndefined();
    expect(r.stdout.trim()).toBe("KernelUnavailableError: cannot verify object 'testrun' in the kernel: the kernel refused a trivial program with EPERM: " +
      "run as root, or with CAP_BPF and CAP_SYS_ADMIN. Nothing was loaded; load it without verify: 'kernel' to run it here checked.");
  });

  it('the command line refuses what it cannot mean, in one line (exit 2)', () => {
    const run = join(ROOT, 'test', 'objects', 'run.bpf.o');
    const rows: [string[], RegExp][] = [
      [['--verify', 'bpftool'], /^percpu-maps run: --verify takes 'kernel' \(the live kernel's verifier\), got 'bpftool'/],
      [['--verify', 'kernel', '--checked', '--unchecked'], /^percpu-maps run: --checked and --unchecked contradict each other/],
      [['--checked'], /^percpu-maps run: --checked goes with --verify kernel/],
    ];
    for (const [args, message] of rows) {
      const r = cli('run', run, ...args);
      expect([r.code, r.stderr.trimEnd().split('\n')]).toEqual([2, [expect.stringMatching(message)]]);
    }
  });

  it('refuses a verify value it does not know', async () => {
    const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
    try {
      await expect(rt.loadObject(conf('testrun'), { verify: 'bpftool' as 'kernel' })).rejects.toThrow(
        new ProgramLoadError('object \'testrun\': verify must be \'kernel\' (the live kernel\'s verifier), got "bpftool"'));
    } finally {
      await rt.close();
    }
  });
});
