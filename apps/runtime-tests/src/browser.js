// The browser entry: runs every suite and leaves the result on globalThis for the driver.
import '../suites/index.js';
import { run } from './harness.js';

const lines = [];
globalThis.__strataRuntimeTests = run({
  log: (line) => {
    lines.push(line);
    console.log(line);
  },
}).then(
  (result) => ({ ...result, lines }),
  (error) => ({ passed: 0, failed: 1, skipped: 0, failures: [], lines: [String(error)] }),
);
