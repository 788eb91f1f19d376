#!/usr/bin/env node
// The `strata` command that `npm install strata-ws` puts on the PATH (`npx strata --help`):
// the command itself lives in @strata-ws/cli; this file only makes it the umbrella's bin.
import '@strata-ws/cli/bin';
