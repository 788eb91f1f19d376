// `strata connect URL`: a WebSocket client on the command line, on @strata-ws/client's WHATWG
// WebSocket. Interactive on a terminal (node:readline: line editing, history, /commands,
// incoming messages printed above the prompt); in a pipe, one message per stdin line out and
// one line per message in, closing cleanly after the replies it waits for.
import { readFileSync, writeFileSync } from 'node:fs';
import { clearLine, createInterface, cursorTo } from 'node:readline';
import { WebSocket } from '@strata-ws/client';
import { parseOptions, UsageError } from './args.js';
import { clientOptions, diagnoseFailure, ExitCode, exitCodeForClose } from './connect-support.js';

export const CONNECT_HELP = `Usage: strata connect URL [options]

Connects to a WebSocket server (ws://, wss://; http(s):// maps to ws(s)://).

On a terminal: type a line to send it as a text message; incoming messages appear above the
prompt ("<" text, binary as hex or base64). Line editing and history (up/down) as in any
readline prompt. Commands:
  /ping [text]            send a ping and print the pong with its round-trip time
  /close [code] [reason]  start the closing handshake (default 1000)
  /binary HEX             send a binary message given in hex
  /quit                   close with 1000 and exit (also Ctrl-D, Ctrl-C)
  //text                  send "/text" as it is

In a pipe: every stdin line is sent as one message and every message received is printed on
one line of stdout. At the end of the input it waits until as many messages arrived as lines
were sent, or until no message came for --wait milliseconds, then closes with 1000.

Options:
  -H, --header "N: V"      extra request header (repeatable)
  -s, --protocol P         subprotocol to offer (repeatable, or comma-separated)
      --origin O           the Origin header
      --deflate            offer permessage-deflate (RFC 7692)
      --binary             pipe mode: send lines as binary messages
      --output-binary F    how to print binary messages: hex (default) or base64
      --handshake-timeout MS  give up when not open after MS (default 10000)
      --wait MS            pipe mode: idle time to wait for replies after the input ends
                           (default 2000; 0: close as soon as the input ends)
      --ca FILE            trust this CA certificate (PEM) for wss://
      --cert FILE --key FILE  a client certificate and its key (PEM)
      --insecure           do not verify the server's certificate
      --http2              connect over HTTP/2 (RFC 8441; falls back to HTTP/1.1)
      --history FILE       terminal mode: keep the line history in FILE across sessions
                           (default: $STRATA_HISTORY when set; else in memory only)
  -q, --quiet              no connection notes on stderr
  -h, --help               show this help

Exit codes:
  0  closed cleanly: by this end (end of input, /close, /quit) or by the server with 1000
  1  an unexpected internal error
  2  usage error: bad option, bad URL, bad header
  3  could not connect: name not found, refused, TLS failure, handshake timeout
  4  the server refused the handshake (an HTTP status other than 101, or a 101 not valid)
  5  the server closed with a code other than 1000 (e.g. 1001, 1008, 1011, 4000-4999)
  6  the connection was lost: closed without a closing handshake (1006)
`;

const SPEC = /** @type {const} */ ({
  header: 'string[]',
  protocol: 'string[]',
  origin: 'string',
  deflate: 'boolean',
  binary: 'boolean',
  'output-binary': 'string',
  'handshake-timeout': 'number',
  wait: 'number',
  ca: 'string',
  cert: 'string',
  key: 'string',
  insecure: 'boolean',
  http2: 'boolean',
  history: 'string',
  quiet: 'boolean',
});

/**
 * Formats a received message for output: text as it is, binary as hex or base64.
 * @param {string | ArrayBuffer} data
 * @param {'hex' | 'base64'} binaryFormat
 */
export function formatMessage(data, binaryFormat) {
  if (typeof data === 'string') return { text: data, binary: false };
  return { text: Buffer.from(data).toString(binaryFormat), binary: true };
}

/**
 * Runs the client; resolves with the exit code (see CONNECT_HELP).
 * @param {string[]} argv
 * @param {{ stdin?: NodeJS.ReadStream, stdout?: NodeJS.WriteStream, stderr?: NodeJS.WriteStream }} [io]
 * @returns {Promise<number>}
 */
export async function connect(argv, io = {}) {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const options = parseOptions(argv, SPEC, {
    aliases: { H: 'header', s: 'protocol', q: 'quiet' },
    positionals: 1,
  });
  const url = options._[0];
  if (url === undefined)
    throw new UsageError('which URL? e.g. strata connect ws://127.0.0.1:8080/');
  const binaryFormat = options['output-binary'] ?? 'hex';
  if (binaryFormat !== 'hex' && binaryFormat !== 'base64') {
    throw new UsageError('--output-binary must be hex or base64');
  }
  const wait = options.wait ?? 2000;
  if (!(wait >= 0)) throw new UsageError('--wait must be 0 or more milliseconds');
  const { protocols, wsOptions } = clientOptions(options);
  const quiet = options.quiet === true;
  const note = (text) => {
    if (!quiet) stderr.write(`${text}\n`);
  };

  let ws;
  try {
    ws = new WebSocket(url, protocols, wsOptions);
  } catch (error) {
    // SyntaxError (URL, subprotocols) or TypeError (a header the handshake owns).
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  ws.binaryType = 'arraybuffer';
  const started = Date.now();
  // Listen for the end from the start: a server may close right after the open event.
  const closing = closed(ws);
  /** The error event of a failed connection: its cause and HTTP status (Node extras). */
  let errorEvent = null;
  ws.addEventListener('error', (event) => {
    errorEvent = event;
  });

  const opened = await new Promise((resolve) => {
    ws.addEventListener('open', () => resolve(true), { once: true });
    ws.addEventListener('close', () => resolve(false), { once: true });
  });
  if (!opened) {
    const { code, message } = await diagnoseFailure(url, protocols, wsOptions, started, errorEvent);
    stderr.write(`strata connect: ${message}\n`);
    return code;
  }
  const interactive = stdin.isTTY === true && stdout.isTTY === true;
  if (interactive) {
    const historyFile = options.history ?? process.env.STRATA_HISTORY;
    return runInteractive(ws, closing, { stdin, stdout, binaryFormat, note, historyFile });
  }
  note(
    `connected to ${ws.url}${ws.protocol ? ` (subprotocol ${ws.protocol})` : ''}${ws.extensions ? ` (${ws.extensions})` : ''}`,
  );
  return runPipe(ws, closing, {
    stdin,
    stdout,
    stderr,
    binaryFormat,
    wait,
    binary: options.binary === true,
  });
}

/** Resolves with the close event of `ws` (register it before the event can fire). */
function closed(ws) {
  return new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
}

/** Waits while more than 1 MiB is queued for sending (a fast producer cannot grow the queue). */
async function drain(ws) {
  while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 1 << 20) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Pipe mode: lines in, messages out; at the end of input, wait for as many messages as lines
 * were sent (or --wait ms of silence), then close with 1000.
 */
async function runPipe(ws, closing, { stdin, stdout, stderr, binaryFormat, wait, binary }) {
  let received = 0;
  let sent = 0;
  /** @type {number | null} */
  let sentCode = null;
  let lastMessageAt = Date.now();
  /** Wakes the end-of-input wait when a message arrives. */
  let onArrival = () => {};
  ws.addEventListener('message', (event) => {
    received++;
    lastMessageAt = Date.now();
    stdout.write(`${formatMessage(event.data, binaryFormat).text}\n`);
    onArrival();
  });
  let closedEvent = null;
  const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  closing.then((event) => {
    closedEvent = event;
    lines.close();
    onArrival();
  });
  for await (const line of lines) {
    if (closedEvent !== null || ws.readyState !== WebSocket.OPEN) break;
    ws.send(binary ? Buffer.from(line) : line);
    sent++;
    await drain(ws);
  }
  lines.close();
  if (closedEvent === null && ws.readyState === WebSocket.OPEN) {
    // End of input: wait for the replies.
    while (closedEvent === null && received < sent && wait > 0) {
      const left = lastMessageAt + wait - Date.now();
      if (left <= 0) break;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        onArrival = () => {
          clearTimeout(timer);
          resolve(undefined);
        };
      });
    }
    if (closedEvent === null && received < sent && wait > 0) {
      stderr.write(
        `strata connect: ${sent - received} of ${sent} replies did not arrive within ${wait} ms\n`,
      );
    }
    if (ws.readyState === WebSocket.OPEN) {
      sentCode = 1000;
      ws.close(1000);
    }
  }
  const event = await closing;
  return reportClose(event, stderr, sentCode);
}

/** The exit code for how the connection ended, with a line on stderr when it was not clean. */
function reportClose(event, stderr, sentCode) {
  const code = exitCodeForClose(event, sentCode);
  if (code === ExitCode.Lost) {
    stderr.write('strata connect: connection lost (closed without a closing handshake, 1006)\n');
  } else if (code === ExitCode.ClosedByServer) {
    stderr.write(
      `strata connect: closed by the server with ${event.code}${event.reason ? ` "${event.reason}"` : ''}\n`,
    );
  }
  return code;
}

/** Terminal mode: a readline prompt; incoming messages are printed above it. */
/** Lines of a history file, newest first (readline's order); none if it cannot be read. */
function loadHistory(file) {
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

const HISTORY_SIZE = 1000;

async function runInteractive(ws, closing, { stdin, stdout, binaryFormat, note, historyFile }) {
  const rl = createInterface({
    history: loadHistory(historyFile),
    input: stdin,
    output: stdout,
    terminal: true,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: '> ',
  });
  /** Prints a line above the prompt, keeping what the user is typing. */
  const print = (text) => {
    clearLine(stdout, 0);
    cursorTo(stdout, 0);
    stdout.write(`${text}\n`);
    rl.prompt(true);
  };
  /** @type {number | null} */
  let sentCode = null;
  let pingSentAt = 0;
  ws.addEventListener('message', (event) => {
    const { text, binary } = formatMessage(event.data, binaryFormat);
    print(binary ? `< (binary, ${event.data.byteLength} B) ${text}` : `< ${text}`);
  });
  // A client with a ping() extra reports the answer as a 'pong' event.
  ws.addEventListener('pong', (event) => {
    const data = event.data?.byteLength > 0 ? ` "${Buffer.from(event.data).toString()}"` : '';
    const after = pingSentAt > 0 ? ` after ${(performance.now() - pingSentAt).toFixed(2)} ms` : '';
    print(`pong${data}${after}`);
    pingSentAt = 0;
  });
  note(
    `connected to ${ws.url}${ws.protocol ? `, subprotocol ${ws.protocol}` : ''}${ws.extensions ? `, ${ws.extensions}` : ''} (/help for commands)`,
  );
  rl.prompt();
  const startClose = (code, reason) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.close(code, reason);
    sentCode = code;
  };
  rl.on('line', (line) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (line.startsWith('//')) {
      ws.send(line.slice(1));
    } else if (line.startsWith('/')) {
      const [command, ...args] = line.slice(1).split(' ');
      if (command === 'quit') {
        startClose(1000);
        return;
      }
      if (command === 'close') {
        const code = args[0] === undefined ? 1000 : Number(args[0]);
        try {
          startClose(code, args.slice(1).join(' ') || undefined);
          print(`closing with ${code}…`);
        } catch (error) {
          print(`/close: ${error instanceof Error ? error.message : error}`);
        }
        return;
      }
      if (command === 'ping') {
        if (typeof ws.ping !== 'function') {
          print('/ping: this @strata-ws/client has no ping() (the WHATWG WebSocket has none)');
        } else {
          pingSentAt = performance.now();
          ws.ping(args.join(' '));
        }
      } else if (command === 'binary') {
        const hex = args.join('').replace(/\s+/g, '');
        if (!/^([0-9a-fA-F]{2})*$/.test(hex))
          print('/binary: give the bytes in hex, e.g. /binary 0102ff');
        else ws.send(Buffer.from(hex, 'hex'));
      } else if (command === 'help') {
        print('/ping [text]  /close [code] [reason]  /binary HEX  /quit  //text sends "/text"');
      } else {
        print(`unknown command /${command} (/help lists them; //${command} sends it as text)`);
      }
    } else {
      ws.send(line);
    }
    rl.prompt();
  });
  if (historyFile) {
    rl.on('history', (lines) => {
      try {
        writeFileSync(historyFile, `${[...lines].reverse().join('\n')}\n`, { mode: 0o600 });
      } catch (error) {
        print(`history: cannot write ${historyFile}: ${error.code ?? error.message}`);
      }
    });
  }
  rl.on('SIGINT', () => startClose(1000));
  rl.on('close', () => startClose(1000));
  const event = await closing;
  clearLine(stdout, 0);
  cursorTo(stdout, 0);
  note(
    `closed: ${event.code}${event.reason ? ` ${event.reason}` : ''}${event.wasClean ? '' : ' (not clean)'}`,
  );
  rl.close();
  return reportClose(event, { write: (text) => note(text.trimEnd()) }, sentCode);
}
