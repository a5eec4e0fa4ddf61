const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Checks `done` every millisecond until it holds or `timeoutMs` passes; true if it held.
 * Blocking on purpose: freezing a group is a step inside the synchronous `killCgroup`,
 * and the kernel gives no event for it, only a state file to read again.
 */
export function pollSync(done: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, 1);
  }
}
