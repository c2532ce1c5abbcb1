// Map-operation handlers on a perf_event_array map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('perf_event_array');
