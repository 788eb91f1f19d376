// The release, rehearsed end to end against a real registry, as `npm test` runs it:
// 1. copy the repository (tracked and untracked files, not ignored ones, plus each package's
//    built dist/) into a temp dir;
// 2. `changeset version` there: public packages with changesets are bumped, get a CHANGELOG,
//    and private workspaces (apps, test-vectors) keep their version;
// 3. start Verdaccio (the npm package) on a free loopback port with a temp config and
//    storage, no uplinks (nothing is proxied: a dependency that is not ours fails to install);
// 4. `changeset publish` into it;
// 5. a fresh project outside the workspace installs `strata-ws` and `@strata-ws/codec` from it
//    and runs the README's quick-start blocks (server, client, codec) with plain `node`.
// Prints one line per step and `N passed, N failed`; writes test-results/rehearsal.json.
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const appDir = fileURLToPath(new URL('..', import.meta.url));
const changesetBin = join(repo, 'node_modules/@changesets/cli/bin.js');
const verdaccioBin = join(repo, 'node_modules/verdaccio/bin/verdaccio');

/** A free loopback port (listen on 0, then close). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Workspace package directories (relative) with their manifests. */
function workspaces(root) {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      if (existsSync(manifest)) out.push({ dir: `${group}/${name}`, pkg: readJson(manifest) });
    }
  }
  return out;
}

/** Copies the repository's files (as git sees them, ignored ones left out) and built dist/. */
async function copyRepo(target) {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repo,
      maxBuffer: 64 << 20,
    },
  );
  let files = 0;
  for (const file of stdout.split('\0')) {
    if (file === '' || !existsSync(join(repo, file))) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(join(repo, file), join(target, file));
    files++;
  }
  for (const { dir, pkg } of workspaces(repo)) {
    if (pkg.private || pkg.scripts?.build === undefined) continue; // plain-JS packages ship src
    const dist = join(repo, dir, 'dist');
    if (!existsSync(dist)) throw new Error(`${pkg.name} has no dist/: build first (npm run build)`);
    cpSync(dist, join(target, dir, 'dist'), { recursive: true });
  }
  return files;
}

/** Starts Verdaccio with a temp config; resolves once it answers /-/ping. */
async function startRegistry(dir) {
  const port = await freePort();
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '@strata-ws/*':",
      '    access: $all',
      '    publish: $all',
      "  'strata-ws':",
      '    access: $all',
      '    publish: $all',
      "  '**':",
      '    access: $all',
      '    publish: $none',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited: ${output}`);
    try {
      const res = await fetch(`${url}-/ping`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // A publish token: npm refuses to publish without one. The registry's own user API.
  const res = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
  });
  if (!res.ok) throw new Error(`verdaccio refused the user: ${res.status} ${await res.text()}`);
  const { token } = await res.json();
  return { url, port, token, child, output: () => output };
}

/** Waits until something accepts connections on the port. */
async function waitForPort(port, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The README's quick-start blocks: fenced ```js blocks whose first line is `// name.js`,
 * with a `// prints: text` line saying what running it prints.
 */
export function quickStartBlocks(readme) {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start'));
  if (section === undefined) throw new Error('README.md has no "## Quick start" section');
  const blocks = new Map();
  for (const m of section.matchAll(/```js\n([\s\S]*?)```/g)) {
    const code = m[1];
    const name = /^\/\/ ([\w-]+\.js)\n/.exec(code)?.[1];
    if (name === undefined) continue;
    const prints = [...code.matchAll(/\/\/ prints: (.+)$/gm)].map((p) => p[1].trim());
    blocks.set(name, { code, prints });
  }
  return blocks;
}

/**
 * Runs the whole rehearsal; resolves with the steps (name, ok, detail, ms).
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function rehearse({ log = () => {} } = {}) {
  const steps = [];
  const step = async (name, fn) => {
    const started = Date.now();
    try {
      const detail = await fn();
      steps.push({ name, ok: true, detail: detail ?? '', ms: Date.now() - started });
      log(`ok   ${name}${detail ? `: ${detail}` : ''} (${Date.now() - started} ms)`);
      return true;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      steps.push({ name, ok: false, detail, ms: Date.now() - started });
      log(`FAIL ${name}: ${detail}`);
      return false;
    }
  };
  const tmp = mkdtempSync(join(tmpdir(), 'strata-release-'));
  const copy = join(tmp, 'repo');
  const app = join(tmp, 'app');
  let registry;
  const before = new Map(workspaces(repo).map(({ dir, pkg }) => [dir, pkg.version]));
  try {
    const copied = await step('copy the repository', async () => `${await copyRepo(copy)} files`);
    if (!copied) return steps;
    const pending = readdirSync(join(copy, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    const versioned = await step('changeset version', async () => {
      await run(process.execPath, [changesetBin, 'version'], { cwd: copy });
      const bumped = [];
      for (const { dir, pkg } of workspaces(copy)) {
        const was = before.get(dir);
        if (pkg.private && pkg.version !== was)
          throw new Error(`private ${pkg.name} was versioned`);
        if (!pkg.private && pkg.version !== was) {
          if (!existsSync(join(copy, dir, 'CHANGELOG.md')))
            throw new Error(`${pkg.name}: no CHANGELOG.md`);
          bumped.push(`${pkg.name}@${pkg.version}`);
        }
      }
      const left = readdirSync(join(copy, '.changeset')).filter(
        (f) => f.endsWith('.md') && f !== 'README.md',
      );
      if (pending.length > 0 && bumped.length === 0)
        throw new Error('changesets pending, nothing bumped');
      if (left.length > 0) throw new Error(`changesets left over: ${left.join(', ')}`);
      return `${pending.length} changesets -> ${bumped.join(', ') || 'nothing to bump'}`;
    });
    if (!versioned) return steps;
    const started = await step('start verdaccio', async () => {
      registry = await startRegistry(join(tmp, 'verdaccio'));
      return registry.url;
    });
    if (!started) return steps;
    const npmrc = join(tmp, 'npmrc');
    writeFileSync(
      npmrc,
      `registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${registry.token}\naudit=false\nfund=false\nupdate-notifier=false\n`,
    );
    const env = {
      ...process.env,
      npm_config_userconfig: npmrc,
      npm_config_registry: registry.url,
      npm_config_cache: join(tmp, 'npm-cache'),
    };
    const published = await step('changeset publish', async () => {
      await run(process.execPath, [changesetBin, 'publish'], {
        cwd: copy,
        env,
        maxBuffer: 16 << 20,
      });
      const expected = workspaces(copy).filter(({ pkg }) => !pkg.private);
      const missing = [];
      for (const { pkg } of expected) {
        const res = await fetch(`${registry.url}${pkg.name.replace('/', '%2f')}`);
        const doc = res.ok ? await res.json() : null;
        if (doc?.versions?.[pkg.version] === undefined) missing.push(`${pkg.name}@${pkg.version}`);
      }
      for (const { pkg } of workspaces(copy).filter(({ pkg }) => pkg.private)) {
        const res = await fetch(`${registry.url}${pkg.name.replace('/', '%2f')}`);
        if (res.ok) throw new Error(`private ${pkg.name} was published`);
      }
      if (missing.length > 0) throw new Error(`not in the registry: ${missing.join(', ')}`);
      return `${expected.length} packages`;
    });
    if (!published) return steps;
    const installed = await step(
      'fresh project: npm install strata-ws @strata-ws/codec',
      async () => {
        mkdirSync(app);
        writeFileSync(
          join(app, 'package.json'),
          `${JSON.stringify({ name: 'rehearsal-app', private: true, type: 'module' }, null, 2)}\n`,
        );
        await run('npm', ['install', 'strata-ws', '@strata-ws/codec', '--registry', registry.url], {
          cwd: app,
          env,
        });
        const lock = readJson(join(app, 'package-lock.json'));
        const names = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/'));
        const foreign = names.filter((p) => !/^node_modules\/(@strata-ws\/|strata-ws$)/.test(p));
        if (foreign.length > 0) throw new Error(`unexpected dependencies: ${foreign.join(', ')}`);
        const manifest = readJson(join(app, 'node_modules/strata-ws/package.json'));
        return `strata-ws@${manifest.version}, ${names.length} packages`;
      },
    );
    if (!installed) return steps;
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    await step('README quick start: server.js + client.js, codec.js', async () => {
      const blocks = quickStartBlocks(readme);
      for (const name of ['server.js', 'client.js', 'codec.js']) {
        if (!blocks.has(name)) throw new Error(`README quick start has no ${name} block`);
      }
      const port = await freePort();
      for (const [name, { code }] of blocks)
        writeFileSync(join(app, name), code.replaceAll('8080', String(port)));
      const server = spawn(process.execPath, ['server.js'], { cwd: app, stdio: 'ignore' });
      try {
        await waitForPort(port);
        const results = [];
        for (const name of ['client.js', 'codec.js']) {
          const { stdout } = await run(process.execPath, [name], { cwd: app, timeout: 15_000 });
          for (const expected of blocks.get(name).prints) {
            if (!stdout.includes(expected))
              throw new Error(`${name} printed ${JSON.stringify(stdout)}, not "${expected}"`);
          }
          results.push(`${name}: ${stdout.trim().split('\n').join(' / ')}`);
        }
        return results.join('; ');
      } finally {
        server.kill('SIGKILL');
      }
    });
    await step('the strata command: strata echo, then a line through strata connect', async () => {
      const strata = join(app, 'node_modules/.bin/strata');
      const port = await freePort();
      const server = spawn(strata, ['echo', '--host', '127.0.0.1', '--port', String(port)], {
        cwd: app,
        stdio: 'ignore',
      });
      try {
        await waitForPort(port);
        const client = spawn(strata, ['connect', `ws://127.0.0.1:${port}/`], { cwd: app });
        let out = '';
        client.stdout.on('data', (chunk) => (out += chunk));
        client.stdin.end('hello from the rehearsal\n');
        const code = await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('strata connect did not exit')), 15_000);
          client.once('exit', (c) => {
            clearTimeout(timer);
            resolve(c);
          });
        });
        if (code !== 0 || out.trim() !== 'hello from the rehearsal')
          throw new Error(`strata connect exited ${code} printing ${JSON.stringify(out)}`);
        return `echoed "${out.trim()}", exit 0`;
      } finally {
        server.kill('SIGKILL');
      }
    });
    return steps;
  } finally {
    if (registry) {
      registry.child.kill('SIGTERM');
      await new Promise((resolve) => {
        if (registry.child.exitCode !== null) resolve(undefined);
        else registry.child.once('exit', resolve);
      });
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const steps = await rehearse({ log: (line) => console.log(line) });
  const passed = steps.filter((s) => s.ok).length;
  const failed = steps.length - passed;
  const expected = 7;
  const missed = failed === 0 && passed < expected ? expected - passed : 0;
  console.log(
    `${passed} passed, ${failed + missed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  mkdirSync(join(appDir, 'test-results'), { recursive: true });
  writeFileSync(
    join(appDir, 'test-results/rehearsal.json'),
    `${JSON.stringify({ passed, failed: failed + missed, skipped: 0, steps }, null, 2)}\n`,
  );
  process.exitCode = failed + missed > 0 ? 1 : 0;
}
