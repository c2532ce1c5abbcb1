// One side of `bench --against`: the bench command on its own, without the CLI's command table,
// so a revision whose CLI predates `bench` still runs the harness copied into its worktree.

import { UsageError } from './args.js';
import { benchCommand } from './bench.js';

try {
  process.exitCode = await benchCommand(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`percpu-maps bench: ${e instanceof UsageError ? '' : `${(e as Error).name}: `}${(e as Error).message}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
