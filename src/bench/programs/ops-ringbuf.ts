// Map-operation handlers on a ringbuf map (see map-ops.ts).
import { mapOpsProgram } from './map-ops.js';

export default mapOpsProgram('ringbuf');
