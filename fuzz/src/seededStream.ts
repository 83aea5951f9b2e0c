/**
 * A seeded stream of uniform numbers in [0, 1) with 32 random bits: the bench's generator
 * (mulberry32, `@mlml/bench/data`). Every recipe's values, targets and grad_output come from it,
 * so a recipe rebuilds the same arrays every time.
 */
export { seededRandom as seededStream } from '@mlml/bench/data';
