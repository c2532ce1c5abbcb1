// Rebuilds the committed eBPF objects of this directory from their C sources with clang:
//   npx tsx test/conformance/programs/build.ts            build every *.bpf.c (or the names given)
//   npx tsx test/conformance/programs/build.ts --check    build into a temp dir and compare bytes
// A source may ask for extra flags on a line of its own: `// cflags: -mcpu=v3`.
// Debian keeps asm/types.h in the multiarch include dir, which clang -target bpf does not search.
// -fdebug-prefix-map makes the DWARF independent of where the clone lives, so a rebuild with the
// same clang gives the same bytes.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROGRAMS_DIR = dirname(fileURLToPath(import.meta.url));

export function sources(): string[] {
  return readdirSync(PROGRAMS_DIR).filter((f) => f.endsWith('.bpf.c')).sort();
}

export function cflagsOf(source: string): string[] {
  const m = /^\/\/ cflags: (.+)$/m.exec(readFileSync(join(PROGRAMS_DIR, source), 'utf8'));
  return m ? m[1]!.trim().split(/\s+/) : [];
}

function multiarch(): string[] {
  try {
    const t = execFileSync('cc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return t ? ['-I', `/usr/include/${t}`] : [];
  } catch {
    return ['-I', '/usr/include/x86_64-linux-gnu'];
  }
}

/** Compile one source into `out`; throws with clang's message. */
export function compile(source: string, out: string, clang = process.env.CLANG || 'clang'): void {
  execFileSync(clang, ['-O2', '-g', '-target', 'bpf', ...multiarch(), ...cflagsOf(source), `-fdebug-prefix-map=${PROGRAMS_DIR}=.`, '-c', source, '-o', out], {
    cwd: PROGRAMS_DIR, stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export function objectOf(source: string): string {
  return source.replace(/\.c$/, '.o');
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const names = args.filter((a) => !a.startsWith('--'));
  const list = names.length > 0 ? names.map((n) => (n.endsWith('.bpf.c') ? n : `${n}.bpf.c`)) : sources();
  const tmp = mkdtempSync(join(tmpdir(), 'bpf-build-'));
  let stale = 0;
  try {
    for (const src of list) {
      const built = join(tmp, objectOf(src));
      compile(src, built);
      const committed = join(PROGRAMS_DIR, objectOf(src));
      if (check) {
        let same = false;
        try {
          same = readFileSync(built).equals(readFileSync(committed));
        } catch {
          same = false;
        }
        if (!same) stale++;
        console.log(`${objectOf(src)}: ${same ? 'up to date' : 'DIFFERS from its source (rebuild and re-record)'}`);
      } else {
        renameSync(built, committed);
        console.log(`${objectOf(src)}: built`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (stale > 0) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
