// Run by describeConformance.test.ts in a nested vitest: a factory that rejects must fail the tests.
import { createReferenceBackend, parseGoldenFile } from '../../src/index.ts';
import { describeConformance } from '../../src/vitest.ts';

const fixtures = [
  parseGoldenFile(
    {
      format: 'mlml-golden-v1',
      generator: { name: 'hand' },
      cases: [
        {
          id: 'only/f64',
          dtype: 'float64',
          input: { shape: [4], data: [0.1, 0.2, 0.4, 0.8] },
          target: { shape: [4], data: [3, 0, -1, 1] },
          options: { reduction: 'sum' },
          expected: { output: { shape: [], data: [0.85] } },
        },
      ],
    },
    'inline.json',
  ),
];

describeConformance('rejecting', () => Promise.reject(new Error('no adapter found')), { fixtures });
describeConformance('reference', () => createReferenceBackend(), { fixtures });
