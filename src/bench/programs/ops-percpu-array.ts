// Map-operation handlers on a percpu_array map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('percpu_array');
