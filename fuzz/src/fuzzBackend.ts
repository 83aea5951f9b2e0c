import { createReferenceBackend, type ILossBackend } from '@mlml/core-spec';
import fc from 'fast-check';
import type { CallRecipe, GroupRecipe } from './CallRecipe.js';
import type { FuzzTally } from './FuzzTally.js';
import type { FuzzSettings } from './fuzzSettings.js';
import { type FuzzApi, groupRecipeArbitrary } from './recipeArbitrary.js';
import { type Finding, type FindingKind, runGroup } from './runGroup.js';

/** Per kind of finding: how many calls had it, and the smallest call that showed it. */
export interface FindingSummary {
  /** The kind. */
  readonly kind: FindingKind;
  /** How many findings of this kind the run made. */
  readonly count: number;
  /** The smallest finding of the kind (fewest elements, corruptions and calls in its group). */
  readonly smallest: Finding;
  /** The group the smallest one was found in (other calls of a group may matter: overlap). */
  readonly group: GroupRecipe;
}

/**
 * Fuzzes one backend through `api` (its own methods, or the torch-like API of `@mlml/loss` with
 * the backend instance as its `backend` option): `settings.runs` groups of calls from the seeded arbitrary (or fewer when
 * the time budget runs out), each judged against core-spec's reference. Every call runs, whatever
 * was found before (so that the counts cover the whole run); returns the findings by kind, each
 * with its smallest reproduction.
 */
export async function fuzzBackend(
  backend: ILossBackend,
  api: FuzzApi,
  settings: FuzzSettings,
  tally: FuzzTally,
): Promise<FindingSummary[]> {
  const reference = createReferenceBackend();
  const context = { backend, reference, tally, timeoutMs: settings.timeoutMs };
  const byKind = new Map<
    FindingKind,
    { count: number; smallest: Finding; group: GroupRecipe; size: number }
  >();
  await fc.assert(
    fc.asyncProperty(groupRecipeArbitrary(api), async (group: GroupRecipe) => {
      for (const finding of await runGroup(group, context)) {
        const size = recipeSize(finding.recipe) + 1000 * (group.calls.length - 1);
        const known = byKind.get(finding.kind);
        if (known === undefined) byKind.set(finding.kind, { count: 1, smallest: finding, group, size });
        else {
          known.count++;
          if (size < known.size) Object.assign(known, { smallest: finding, group, size });
        }
      }
    }),
    { numRuns: settings.runs, seed: settings.seed, interruptAfterTimeLimit: settings.budgetMs },
  );
  return [...byKind].map(([kind, { count, smallest, group }]) => ({ kind, count, smallest, group }));
}

/** How big a call is, to pick the smallest reproduction: elements first, then everything else. */
function recipeSize(recipe: CallRecipe): number {
  const unusual = Object.values(recipe.storage).filter((s) => s !== 'own').length;
  return (
    recipe.batch * recipe.classes * 10 +
    recipe.corruptions.length * 50 +
    (recipe.rewrite ? 20 : 0) +
    (recipe.out === 'none' ? 0 : 10) +
    unusual * 5 +
    (recipe.api === 'loss' ? 5 : 0)
  );
}

/** A report of findings: per kind, the count, what was wrong and the smallest recipe (JSON). */
export function formatFindings(label: string, summaries: readonly FindingSummary[]): string {
  return summaries
    .map(({ kind, count, smallest, group }) => {
      const others = group.calls.length > 1 ? ` (in a group of ${group.calls.length} overlapping calls)` : '';
      return `${label}: ${kind} x${count}: ${smallest.detail}\n  smallest${others}: ${JSON.stringify(smallest.recipe)}`;
    })
    .join('\n');
}
