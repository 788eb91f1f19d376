// What every Node server of server-bench.js does besides serving: answer SIGUSR2 with a full
// GC (when started with --expose-gc) and a "mem {rss, heapUsed, ...}" line, and exit on
// SIGTERM. Plain ESM, Node only.

/** Installs the SIGUSR2 memory report and the SIGTERM exit. */
export function reportMemoryOnSignal() {
  process.on('SIGUSR2', () => {
    globalThis.gc?.();
    process.stdout.write(`mem ${JSON.stringify(process.memoryUsage())}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
