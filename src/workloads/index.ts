// The workloads the CLI can run, by name.

import { histogram } from './histogram/index.js';
import { pidcount } from './pidcount/index.js';
import { execsnoop } from './execsnoop/index.js';
import { execsnoopPerf } from './execsnoop-perf/index.js';
import { tcptop } from './tcptop/index.js';
import type { Workload } from './workload.js';

export const WORKLOADS: readonly Workload[] = [histogram, pidcount, execsnoop, execsnoopPerf, tcptop];

export type { Workload, WorkloadOptions, WorkloadResult } from './workload.js';
