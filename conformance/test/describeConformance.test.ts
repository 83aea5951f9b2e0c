import { createReferenceBackend } from '../src/index.ts';
import { describeConformance } from '../src/vitest.ts';

describeConformance('reference', () => createReferenceBackend());
