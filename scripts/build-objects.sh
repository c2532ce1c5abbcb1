#!/usr/bin/env bash
# Rebuilds the committed eBPF objects from their C sources, with Debian's clang and libbpf-dev
# headers. Each folder below holds NAME.bpf.c sources; their objects go beside them, or with an
# OUTDIR argument into OUTDIR/<label>:
#   test    test/objects/src/*.bpf.c  -> test/objects/     (the loader's and the runtime's tests)
#   race    src/workloads/race/       -> src/workloads/race/ (the race lab's four counters)
#   seed    src/workloads/seed/       -> src/workloads/seed/ (the seed article's program)
# The tests and the workloads use the committed objects; a test rebuilds them into a temporary
# OUTDIR where clang is present and checks they open to the same BpfObject. Each compile runs in
# its source's folder with the file's bare name and a debug prefix map, so the file names recorded
# in BTF line info and DWARF do not depend on where the repository is cloned.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "error: $CLANG not found; install Debian's clang, llvm and libbpf-dev to rebuild the eBPF objects" >&2
  exit 1
fi
build() { # build LABEL SRCDIR DEFAULT_OUTDIR
  local out="$3"
  if [ $# -ge 4 ] && [ -n "$4" ]; then out="$4/$1"; fi
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  (cd "$2" && for src in *.bpf.c; do
    obj="$out/${src%.c}.o"
    "$CLANG" -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
      -fdebug-prefix-map="$PWD"=. -fdebug-compilation-dir=. \
      -c "$src" -o "$obj"
    echo "built ${obj#"$root"/}"
  done)
}
outdir="${1:-}"
build test "$root/test/objects/src" "$root/test/objects" "$outdir"
build race "$root/src/workloads/race" "$root/src/workloads/race" "$outdir"
build seed "$root/src/workloads/seed" "$root/src/workloads/seed" "$outdir"
