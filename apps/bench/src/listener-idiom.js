// Per-connection heap cost of the two listener idioms used in the repository (issue #12:
// pick one by measured cost):
//   table  — the server's: the engine handler is one small object per connection whose
//            prototype methods call a table shared by all connections; the socket listeners
//            are shared functions that find their connection through the socket.
//   arrows — the client's: the handler's methods and the socket listeners are arrow
//            functions created per connection (closures over it).
// Each variant builds N connections (an object with a few fields, an EventEmitter standing in
// for the socket with 4 listeners, the engine handler with 7 methods), then reads heapUsed
// after a full GC; the slope between N and 2N is the cost per connection.
//
//   node --expose-gc apps/bench/src/listener-idiom.js [--n 20000]
import { EventEmitter } from 'node:events';

const nIndex = process.argv.indexOf('--n');
const N = nIndex > 0 ? Number(process.argv[nIndex + 1]) : 20_000;
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(1);
}

// ---- table idiom ------------------------------------------------------------------------
let table;
class TableConnection {
  #socket;
  #flags = 0;
  #handler;
  constructor(socket) {
    this.#socket = socket;
    this.#handler = new TableHandler(this);
    socket.owner = this;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  }
  static {
    table = {
      message: (c) => c.#flags++,
      ping: (c) => c.#flags++,
      pong: (c) => c.#flags++,
      close: (c) => c.#flags++,
      fail: (c) => c.#flags++,
      output: (c) => c.#flags++,
      resume: (c) => c.#flags++,
      data: (c) => c.#flags++,
      socket: (c) => c.#socket,
    };
  }
  handler() {
    return this.#handler;
  }
}
class TableHandler {
  constructor(c) {
    this.c = c;
  }
  onMessage() {
    table.message(this.c);
  }
  onPing() {
    table.ping(this.c);
  }
  onPong() {
    table.pong(this.c);
  }
  onClose() {
    table.close(this.c);
  }
  onFail() {
    table.fail(this.c);
  }
  onOutput() {
    table.output(this.c);
  }
  onResumeInput() {
    table.resume(this.c);
  }
}
function onData() {
  table.data(this.owner);
}
function onEnd() {
  table.data(this.owner);
}
function onDrain() {
  table.data(this.owner);
}
function onClose() {
  table.data(this.owner);
}

// ---- arrow-field idiom --------------------------------------------------------------------
class ArrowConnection {
  #socket;
  #flags = 0;
  #handler = {
    onMessage: () => this.#flags++,
    onPing: () => this.#flags++,
    onPong: () => this.#flags++,
    onClose: () => this.#flags++,
    onFail: () => this.#flags++,
    onOutput: () => this.#flags++,
    onResumeInput: () => this.#flags++,
  };
  #onData = () => this.#flags++;
  #onEnd = () => this.#flags++;
  #onDrain = () => this.#flags++;
  #onClose = () => this.#flags++;
  constructor(socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('close', this.#onClose);
  }
  handler() {
    return this.#handler;
  }
  socket() {
    return this.#socket;
  }
}

function heapAfterGc() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

function slope(make) {
  const keep = [];
  const base = heapAfterGc();
  for (let i = 0; i < N; i++) keep.push(make(new EventEmitter()));
  const atN = heapAfterGc();
  for (let i = 0; i < N; i++) keep.push(make(new EventEmitter()));
  const at2N = heapAfterGc();
  // The emitter alone, measured the same way, is subtracted below.
  return { perConnection: (at2N - atN) / N, first: (atN - base) / N, keep };
}

const emitterOnly = slope((s) => s);
emitterOnly.keep.length = 0;
const results = {};
for (const [name, make] of [
  ['table', (s) => new TableConnection(s)],
  ['arrows', (s) => new ArrowConnection(s)],
  ['table', (s) => new TableConnection(s)],
  ['arrows', (s) => new ArrowConnection(s)],
]) {
  const r = slope(make);
  r.keep.length = 0;
  if (results[name] === undefined) results[name] = [];
  results[name].push(r.perConnection - emitterOnly.perConnection);
}
console.log(`listener idiom, heap per connection beyond its socket (N=${N}, ${process.version}):`);
for (const [name, values] of Object.entries(results)) {
  console.log(`  ${name.padEnd(7)} ${values.map((v) => `${Math.round(v)} B`).join(', ')}`);
}
