// Debug view of what the loader makes of an eBPF object: maps and programs with their linked,
// relocated instructions (raw bytes, as the translator receives them) and source lines.
//   npx tsx scripts/objdump.ts test/objects/seed.bpf.o [more.o ...]
import { lineOf, ObjectError, openObjectFile } from '../src/object/index.js';

for (const path of process.argv.slice(2)) {
  try {
    const o = openObjectFile(path);
    process.stdout.write(`${path}: object '${o.name}', license '${o.license}', ${o.maps.length} maps, ${o.programs.length} programs\n`);
    o.maps.forEach((m, i) => {
      const lock = m.lockOffset >= 0 ? ` lock@${m.lockOffset}` : '';
      process.stdout.write(`  map ${i} ${m.name} (${m.kind}, ${m.section}) type ${m.type} key ${m.keySize} value ${m.valueSize} max ${m.maxEntries} flags 0x${m.flags.toString(16)}${lock}${m.readonly ? ' readonly' : ''}\n`);
      for (const f of m.valueFields ?? []) process.stdout.write(`      +${f.offset} ${f.name || '(value)'}: ${f.kind}${f.count !== undefined ? `[${f.count}]` : ''} (${f.size} bytes)\n`);
      if (m.inner) process.stdout.write(`      inner: ${m.inner.name} type ${m.inner.type} key ${m.inner.keySize} value ${m.inner.valueSize} max ${m.inner.maxEntries}\n`);
      for (const s of m.initSlots ?? []) process.stdout.write(`      slot [${s.index}] = ${s.target}\n`);
    });
    for (const p of o.programs) {
      process.stdout.write(`  program ${p.name} SEC("${p.section}") type ${p.type}${p.attachTo ? ` -> ${p.attachTo}` : ''}, ${p.insns.length / 8} insns\n`);
      const starts = new Map(p.funcs.map((f) => [f.start, f.name]));
      let lastLine = -1;
      for (let i = 0; i < p.insns.length / 8; i++) {
        if (starts.has(i)) process.stdout.write(`    <${starts.get(i)}>:\n`);
        const l = lineOf(p, i);
        if (l !== undefined && l.line !== lastLine) {
          process.stdout.write(`      ; ${l.text.trim()}  (${l.file}:${l.line})\n`);
          lastLine = l.line;
        }
        process.stdout.write(`    ${String(i).padStart(5)}: ${Buffer.from(p.insns.subarray(i * 8, i * 8 + 8)).toString('hex').replace(/(..)/g, '$1 ').trim()}\n`);
      }
    }
  } catch (e) {
    if (!(e instanceof ObjectError)) throw e;
    process.stdout.write(`${path}: ${e.message}\n`);
    process.exitCode = 1;
  }
}
