import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './workspace.js';

/** The ```ts block under `## Usage` in the root README (what a user copies first). */
export function readmeUsageExample(): string {
  const readme = readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8');
  const example = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (example === undefined) throw new Error('README.md has no ```ts block under ## Usage');
  return example;
}
