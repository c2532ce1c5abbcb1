// Map-operation handlers on a queue map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('queue');
