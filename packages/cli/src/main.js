// The `strata` command's dispatcher: one module per command, each with its own help text.
import { UsageError } from './args.js';
import { BENCH_HELP, bench } from './bench.js';
import { CONNECT_HELP, connect } from './connect.js';
import { ECHO_HELP, echo } from './echo.js';
import { SERVE_HELP, serve } from './serve-demo.js';

const HELP = `Usage: strata <command> [options]

Commands:
  connect URL   a WebSocket client: interactive on a terminal, line by line in a pipe
  bench URL     a load generator: throughput and a latency histogram against an echo server
  echo          run a WebSocket echo server (for benchmarks and conformance tools)
  serve         serve the demo page (what \`npm start\` runs)

Run "strata <command> --help" for the options of a command.
`;

/** @type {Record<string, { help: string, run(argv: string[]): Promise<number> }>} */
const COMMANDS = {
  connect: { help: CONNECT_HELP, run: connect },
  bench: { help: BENCH_HELP, run: bench },
  echo: { help: ECHO_HELP, run: echo },
  serve: { help: SERVE_HELP, run: serve },
};

/**
 * Runs the command line; resolves with the exit code (servers resolve once they stopped).
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (entry === undefined) {
    process.stderr.write(`strata: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(entry.help);
    return 0;
  }
  try {
    return await entry.run(rest);
  } catch (error) {
    if (error instanceof UsageError || error?.name === 'UsageError') {
      process.stderr.write(`strata ${command}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `strata ${command}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
