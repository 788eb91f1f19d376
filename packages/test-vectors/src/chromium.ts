/**
 * How every test in this repository starts Debian's headless Chromium (through
 * `playwright-core`, never a downloaded browser): the binary and the flags that keep it off
 * the network and quiet. Pass a fresh `--user-data-dir` (a persistent context's profile).
 */

/** Debian's `chromium` package. */
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/** Flags for a headless, sandbox-free, network-silent Chromium run as root. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-sync',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
