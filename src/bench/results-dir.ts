// Where `percpu-maps bench` writes its results when --out does not say: bench/results/ under the
// current directory (the README says so). Never inside node_modules (the command run from inside
// an installed package), where the next install would delete them: then a folder in the home directory.

import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';

export function resultsDir(cwd: string = process.cwd()): string {
  const here = resolve(cwd);
  return here.split(sep).includes('node_modules') ? join(homedir(), 'percpu-maps-bench-results') : join(here, 'bench', 'results');
}
