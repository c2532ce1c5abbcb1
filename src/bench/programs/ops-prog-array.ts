// Map-operation handlers on a prog_array map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('prog_array');
