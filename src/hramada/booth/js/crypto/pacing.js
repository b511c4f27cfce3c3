// Pacing long computations: give the event loop a turn now and then, and report progress.

const SLICE_MS = 8; // longest stretch of work between two turns of the event loop

function now() {
  return globalThis.performance?.now() ?? Date.now();
}

function nextTurn() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** step() counts one unit of `total` done, calls onProgress(done, total), and yields if due. */
export function pacer(total, onProgress) {
  let done = 0;
  let last = now();
  return async function step() {
    done += 1;
    if (onProgress) onProgress(done, total);
    if (now() - last >= SLICE_MS) {
      await nextTurn();
      last = now();
    }
  };
}
