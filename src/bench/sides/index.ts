// The sides of the benchmark: who does a cell's job. `ours` is the runtime under test; the others
// are references measured in the same run (plain JS by hand, the kernel, C threads). A side is one
// provider (its rows for each kind of cell, each with a way to make its subject; see side.ts);
// adding a side is a new file beside these, its name in schema.ts's SIDES, a line in the table
// below and its style in series.ts (title, colour, and whether ours / it holds across machine
// kinds); its rows then get ratio columns, report series and gate ratios of their own.

import type { Side } from '../schema.js';
import { kernelSide } from './kernel.js';
import { limitSide } from './limit.js';
import { objectSide } from './object.js';
import { oursSide } from './ours.js';
import { plainSide } from './plain.js';
import type { SideProvider } from './side.js';

export type { RowPlan, SideEnv, SideProvider } from './side.js';

export const SIDE_PROVIDERS: Record<Side, SideProvider> = {
  ours: oursSide,
  object: objectSide,
  plain: plainSide,
  kernel: kernelSide,
  limit: limitSide,
};

