// The environment a benchmark ran in, recorded next to its samples: figures only compare within
// one kind of machine, and a result without its commit cannot answer "what was measured".

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../cpu/module-url.js';
import type { Environment } from './schema.js';

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** HEAD of the git tree at `dir`, with '+dirty' when tracked files changed; 'unknown' outside git. */
export function gitCommit(dir: string = PACKAGE_ROOT): string {
  try {
    const head = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function environment(kernelReference: string, tools: Partial<Record<string, string>> = {}): Environment {
  const env: Environment = {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    osRelease: release(),
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: availableParallelism(),
    commit: gitCommit(),
    piscina: packageVersion('piscina'),
    tinybench: packageVersion('tinybench'),
    kernelReference,
  };
  const named = Object.entries(tools).filter((e): e is [string, string] => typeof e[1] === 'string');
  if (named.length) env.tools = Object.fromEntries(named);
  try {
    env.bpfJit = readFileSync('/proc/sys/net/core/bpf_jit_enable', 'utf8').trim();
  } catch {
    // not Linux, or /proc hidden: leave it out
  }
  return env;
}
