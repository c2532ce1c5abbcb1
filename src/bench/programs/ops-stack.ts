// Map-operation handlers on a stack map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('stack');
