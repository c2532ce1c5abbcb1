// A progress line on stderr for long runs: redrawn in place ('\r', then erase the line) a few times
// a second, and only where that works: stderr is a terminal that is not TERM=dumb. In a pipe or a
// log file there is no progress line at all (no '\r' or escape sequences to clean up afterwards).

export interface ProgressLine {
  /** Start redrawing `text()` every `everyMs` (not when it returns null); replaces what was shown before. */
  show(text: () => string | null, everyMs?: number): void;
  /** Stop and erase the line. */
  clear(): void;
}

/** Whether stderr takes an in-place progress line. */
export function progressWanted(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function progressLine(enabled = progressWanted(), stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  let timer: NodeJS.Timeout | null = null;
  let drawn = false;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  return {
    show(text, everyMs = 200) {
      stop();
      if (!enabled) return;
      timer = setInterval(() => {
        const t = text();
        if (t === null) return;
        // Erase first: a shorter line must not leave the end of the longer one behind it.
        stream.write(`\r\x1b[K${t}`);
        drawn = true;
      }, everyMs);
      timer.unref();
    },
    clear() {
      stop();
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** '  <label>: <done> / <total> events' for a runtime's run in progress; null between runs. */
export function eventsProgress(label: string, progress: () => number[], total: string): () => string | null {
  return () => {
    const p = progress();
    return p.length === 0 ? null : `  ${label}: ${p.reduce((a, b) => a + b, 0).toLocaleString('en-US')} / ${total} events`;
  };
}
