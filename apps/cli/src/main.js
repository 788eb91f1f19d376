import { ECHO_HELP, echo } from './echo.js';

const HELP = `Usage: strata <command> [options]

Commands:
  echo      run a WebSocket echo server (for benchmarks and conformance tools)

Run "strata <command> --help" for the options of a command.
`;

/**
 * Runs the command line; resolves with the exit code (servers resolve once they stopped).
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === 'echo') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(ECHO_HELP);
      return 0;
    }
    return echo(rest);
  }
  process.stderr.write(`strata: unknown command "${command}"\n\n${HELP}`);
  return 2;
}
