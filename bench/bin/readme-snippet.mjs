#!/usr/bin/env node
// Prints the README section (table, date, machine, chart links) of a bench report:
//   node bench/bin/readme-snippet.mjs [bench/results/latest.json]
// Chart links point at the SVGs beside the report, relative to the repository root.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const { renderMarkdownSnippet } = await import('../dist/markdownSnippet.js');
const root = fileURLToPath(new URL('../../', import.meta.url));
const file = resolve(process.argv[2] ?? fileURLToPath(new URL('../results/latest.json', import.meta.url)));
if (!existsSync(file)) {
  console.error(`readme-snippet: no report at ${file}; run \`pnpm bench\` first`);
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const links = {};
for (const name of ['speedup', 'sweep-classes', 'sweep-targets']) {
  const svg = join(dirname(file), `${name}.svg`);
  if (existsSync(svg)) links[name] = relative(root, svg).split('\\').join('/');
}
process.stdout.write(renderMarkdownSnippet(report, links));
