// The same suite every mlml backend passes: one vitest test per golden case (PyTorch's numbers),
// plus state checks (inputs not mutated, read at call time, errors in DESIGN's order, dispose).
import { describeConformance } from '@mlml/conformance/vitest';
import { createNaiveBackend } from '../src/index.js';

describeConformance('naive', () => createNaiveBackend());
