// Checks every pending changeset (.changeset/*.md) before `changeset version` has to: front
// matter that names workspace packages with a bump kind, and a summary. A formatter once
// rewrote two front matters into Markdown headings, which `changeset version` then refuses.
// Usage: node scripts/check-changesets.mjs (part of `npm run lint`).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = join(root, '.changeset');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const names = new Set();
for (const pattern of rootPackage.workspaces) {
  const base = pattern.replace(/\/\*$/, '');
  for (const entry of readdirSync(join(root, base), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      names.add(
        JSON.parse(readFileSync(join(root, base, entry.name, 'package.json'), 'utf8')).name,
      );
    } catch {}
  }
}

const problems = [];
const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (match === null) {
    problems.push(`${file}: no front matter (---, "package": bump lines, ---)`);
    continue;
  }
  const lines = match[1].split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) problems.push(`${file}: front matter names no package`);
  for (const line of lines) {
    const entry = /^"([^"]+)": (major|minor|patch)$/.exec(line.trim());
    if (entry === null) problems.push(`${file}: not a "package": bump line: ${line}`);
    else if (!names.has(entry[1])) problems.push(`${file}: ${entry[1]} is not a workspace package`);
  }
  if (match[2].trim() === '') problems.push(`${file}: no summary`);
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`${files.length} changesets checked\n`);
