/**
 * A small strict option parser: `--name value`, `--name=value` and boolean `--flag`.
 * Unknown options and missing values are errors (a typo must not be silently ignored).
 * @param {string[]} argv
 * @param {Record<string, 'string' | 'number' | 'boolean'>} spec
 * @returns {Record<string, string | number | boolean>}
 */
export function parseOptions(argv, spec) {
  /** @type {Record<string, string | number | boolean>} */
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const kind = spec[name];
    if (kind === undefined) throw new Error(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (value !== undefined) throw new Error(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
    }
    if (kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}
