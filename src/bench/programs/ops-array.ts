// Map-operation handlers on a array map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('array');
