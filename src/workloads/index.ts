// The workloads the CLI can run, by name.

import { histogram } from './histogram/index.js';
import type { Workload } from './workload.js';

export const WORKLOADS: readonly Workload[] = [histogram];

export type { Workload, WorkloadOptions, WorkloadResult } from './workload.js';
