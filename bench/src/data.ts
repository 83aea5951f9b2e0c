/**
 * `@mlml/bench/data`: the bench's seeded problem generator alone, with no Node API, for pages and
 * other tools that must make the bench's problems (the playground's Compare tab, the fuzzer).
 */
export { type BenchData, DEFAULT_SEED, generateData, seededRandom } from './generateData.js';
export type { BenchShape, ShapeGroup, ValueDistribution } from './shapes.js';
