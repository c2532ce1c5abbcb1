// The plain-JS reference: the counters' per-event work written by hand in plain worker threads,
// no runtime (plain-worker.ts). Two rows per counter cell: the same work as our handler (the
// reference of "ours / plain JS"), and the floor (a constant slot the JIT folds into its loop).

import { availableParallelism } from 'node:os';
import { PlainSubject } from '../subjects.js';
import { rowFor, type SideProvider } from './side.js';

export const plainSide: SideProvider = {
  side: 'plain',
  rows(cell) {
    if (cell.kind !== 'counter') return [];
    const cores = availableParallelism();
    const stride = cell.stride || 128;
    return [
      { row: rowFor('plain', cell, cores), counter: true, make: async () => new PlainSubject(cell.plain, cell.cpus, stride, 'same-work') },
      {
        row: rowFor('plain', cell, cores, { id: `${cell.id}/floor`, params: { variant: 'floor' } }), counter: true,
        make: async () => new PlainSubject(cell.plain, cell.cpus, stride, 'floor'),
      },
    ];
  },
};
