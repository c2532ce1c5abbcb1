// A start line for all CPUs of a run: nobody begins its events until every CPU has arrived, so
// the CPUs really run at the same time (and contend) instead of one after another.
//
// Int32 words of the buffer:
//   0  arrived      CPUs that reached the barrier            each CPU (Atomics.add)
//   1  open         0 closed, 1 open                          the last CPU to arrive

export function newBarrier(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

export function barrierWait(buffer: SharedArrayBuffer, parties: number): void {
  const b = new Int32Array(buffer);
  if (Atomics.add(b, 0, 1) + 1 === parties) {
    openBarrier(b);
    return;
  }
  while (Atomics.load(b, 1) === 0) Atomics.wait(b, 1, 0);
}

/** Open the start line for everybody waiting at it: the last CPU to arrive, or the coordinator when a CPU will never arrive. */
export function openBarrier(b: Int32Array): void {
  Atomics.store(b, 1, 1);
  Atomics.notify(b, 1);
}
