// Ctrl-C and SIGTERM during a long command: stop the workers, keep what was measured, and exit
// with 128 + the signal number (130, 143) once the command has printed its partial results.

export interface Interruptible {
  stop(): void;
  /** When present, called instead of stop(): a stop that also holds for runs started later (Runtime.interrupt). */
  interrupt?(): void;
}

export interface SignalGuard {
  /** The signal that arrived, or null. */
  readonly received: NodeJS.Signals | null;
  /** 130 for SIGINT, 143 for SIGTERM, or the given code when no signal arrived. */
  exitCode(otherwise: number): number;
  dispose(): void;
}

export function guardSignals(target: () => Interruptible | null): SignalGuard {
  let received: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received !== null) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: leave at once
    received = sig;
    process.stderr.write(`\n${sig}: stopping the CPUs; partial results follow\n`);
    const t = target();
    if (t?.interrupt) t.interrupt();
    else t?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() { return received; },
    exitCode(otherwise: number) {
      return received === 'SIGINT' ? 130 : received === 'SIGTERM' ? 143 : otherwise;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
