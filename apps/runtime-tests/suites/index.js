// Every suite of the portable behaviour tests. Add one import per suite file; each registers
// its tests with ../src/harness.js and imports the BUILT packages by their bare names
// (resolved through node_modules in Node, Bun and Deno, through an import map in Chromium).
import './codec.js';
import './handshake.js';
