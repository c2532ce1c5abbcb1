#!/usr/bin/env bash
# Rebuilds the committed eBPF objects from their C sources, with Debian's clang and libbpf-dev
# headers:
#   test/objects/src/NAME.bpf.c -> OUTDIR/NAME.bpf.o   (OUTDIR defaults to test/objects)
#   src/workloads/race/NAME.bpf.c -> beside it (the race lab's counters; with OUTDIR, into OUTDIR/race)
# The tests and the race lab use the committed objects; a test rebuilds them into a temporary
# OUTDIR where clang is present and checks they open to the same BpfObject. Each compile runs in
# its source's folder with the file's bare name and a debug prefix map, so the file names recorded
# in BTF line info and DWARF do not depend on where the repository is cloned.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/test/objects}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
race_out="$root/src/workloads/race"
if [ $# -ge 1 ]; then race_out="$out/race"; mkdir -p "$race_out"; fi
CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "error: $CLANG not found; install Debian's clang, llvm and libbpf-dev to rebuild the test objects" >&2
  exit 1
fi
build() { # build SRCDIR OUTDIR
  (cd "$1" && for src in *.bpf.c; do
    obj="$2/${src%.c}.o"
    "$CLANG" -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
      -fdebug-prefix-map="$PWD"=. -fdebug-compilation-dir=. \
      -c "$src" -o "$obj"
    echo "built ${obj#"$root"/}"
  done)
}
build "$root/test/objects/src" "$out"
build "$root/src/workloads/race" "$race_out"
