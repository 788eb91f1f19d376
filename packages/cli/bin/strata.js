#!/usr/bin/env node
// The `strata` command. Plain JavaScript on purpose: it runs the packages' built output
// (the root `prepare` script builds them during `npm ci`), so the command itself needs no
// build step and works from a fresh checkout as soon as the packages are built.
import { main } from '../src/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`strata: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
