import { expect, it } from 'vitest';
import { Runtime } from '../src/index.js';

it('the README example counts 1,000,000 events on 4 CPUs', async () => {
  const rt = await Runtime.start({ cpus: 4, onWarning: () => {} });
  try {
    const prog = await rt.load(new URL('./fixtures/readme-counter.ts', import.meta.url));
    await rt.run({ probe: 'kprobe/sys_clone', events: 1_000_000 });
    expect(prog.maps.counter!.lookup(0).length).toBe(32);
    expect(prog.maps.counter!.sum(0)).toBe(1_000_000);
  } finally {
    await rt.close();
  }
});
