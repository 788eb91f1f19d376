// Command-line option parsing shared by every command, strict on purpose: unknown options,
// missing values and stray arguments are usage errors (exit 2), a typo is never ignored.

/** A mistake in the command line (exit code 2, one line on stderr, no stack trace). */
export class UsageError extends Error {
  name = 'UsageError';
}

/**
 * Parses `--name value`, `--name=value`, boolean `--flag`, short aliases (`-H value`) and,
 * when `positionals` is given, up to that many bare arguments (in `_`). A kind ending in
 * `[]` may repeat and collects an array.
 * @param {string[]} argv
 * @param {Record<string, 'string' | 'number' | 'boolean' | 'string[]'>} spec
 * @param {{ aliases?: Record<string, string>, positionals?: number }} [config]
 * @returns {Record<string, string | number | boolean | string[]> & { _: string[] }}
 */
export function parseOptions(argv, spec, { aliases = {}, positionals = 0 } = {}) {
  /** @type {Record<string, string | number | boolean | string[]> & { _: string[] }} */
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name;
    let value;
    if (arg.startsWith('--')) {
      name = arg.slice(2);
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
    } else if (arg.length === 2 && arg[0] === '-' && Object.hasOwn(aliases, arg[1])) {
      name = aliases[arg[1]];
    } else if (arg.startsWith('-') && arg.length > 1) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      if (out._.length >= positionals) throw new UsageError(`unexpected argument "${arg}"`);
      out._.push(arg);
      continue;
    }
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new UsageError(`--${name} must be a number, not "${value}"`);
      }
      out[name] = n;
    } else if (kind === 'string[]') {
      const list = /** @type {string[]} */ (out[name] ?? []);
      list.push(value);
      out[name] = list;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/**
 * An integer option within bounds, or the default.
 * @param {Record<string, unknown>} options
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
export function intOption(options, name, fallback, min, max) {
  const v = options[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}
