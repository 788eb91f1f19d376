// A zero-dependency test harness that runs unchanged in Node, Bun, Deno and browsers:
// test(name, fn) to register, assert.* to check, run() to execute everything registered.
// It uses only ECMAScript and setTimeout, so suites written against it are portable too.

/** A failed assertion. */
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

const registered = [];
let prefix = '';

/** Registers a test. `fn` may be async; it fails by throwing. */
export function test(name, fn) {
  registered.push({ name: prefix + name, fn });
}

/** Groups the tests registered inside `fn` under `name` (synchronous registration only). */
export function describe(name, fn) {
  const outer = prefix;
  prefix = `${outer}${name} > `;
  try {
    fn();
  } finally {
    prefix = outer;
  }
}

function show(value) {
  if (value instanceof Uint8Array) {
    const head = Array.from(value.subarray(0, 32), (b) => b.toString(16).padStart(2, '0'));
    return `Uint8Array(${value.length}) [${head.join(' ')}${value.length > 32 ? ' …' : ''}]`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && equalBytes(a, b);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key) || !deepEqual(a[key], b[key])) return false;
  }
  return true;
}

function where(message) {
  return message ? `${message}: ` : '';
}

/** Assertions; each throws an {@link AssertionError} with both values shown. */
export const assert = {
  ok(value, message) {
    if (!value)
      throw new AssertionError(`${where(message)}expected a truthy value, got ${show(value)}`);
  },
  /** `Object.is` equality. */
  equal(actual, expected, message) {
    if (!Object.is(actual, expected)) {
      throw new AssertionError(`${where(message)}expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  /** Structural equality of plain objects, arrays and Uint8Arrays. */
  deepEqual(actual, expected, message) {
    if (!deepEqual(actual, expected)) {
      throw new AssertionError(`${where(message)}expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  /** Byte-for-byte equality of two Uint8Arrays. */
  bytes(actual, expected, message) {
    if (!(actual instanceof Uint8Array) || !equalBytes(actual, expected)) {
      throw new AssertionError(`${where(message)}expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  /**
   * Expects `fn` to throw; `check` is an error class or a predicate. Returns the error.
   */
  throws(fn, check, message) {
    try {
      fn();
    } catch (error) {
      const ok =
        check === undefined ||
        (check.prototype instanceof Error || check === Error
          ? error instanceof check
          : check(error));
      if (!ok) throw new AssertionError(`${where(message)}unexpected error ${String(error)}`);
      return error;
    }
    throw new AssertionError(`${where(message)}expected an exception, none was thrown`);
  },
};

const TEST_TIMEOUT_MS = 10_000;

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every registered test in order. `log(line)` receives one line per failure and the
 * closing `N passed, N failed` line. Resolves to `{ passed, failed, skipped, failures }`.
 */
export async function run({ log = (line) => console.log(line), filter } = {}) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for (const { name, fn } of registered) {
    if (filter && !name.includes(filter)) {
      skipped++;
      continue;
    }
    try {
      await withTimeout(Promise.resolve().then(fn), TEST_TIMEOUT_MS, name);
      passed++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      failures.push({ name, message });
      log(`FAIL ${name}\n     ${message}`);
    }
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed, skipped, failures };
}

/** A small seeded PRNG (mulberry32) so randomised checks replay identically everywhere. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
