import { createBackend } from '@mlml/loss';
import { describeConformance } from '../src/vitest.ts';

// The built-in backends, through the registry @mlml/loss fills (webgpu runs on SwiftShader in Node:
// see vitest.config.ts). Each fails, with the reason, until it initialises and conforms.
describeConformance('cpu-ts', () => createBackend('cpu-ts'));
describeConformance('wasm', () => createBackend('wasm'));
describeConformance('webgpu', () => createBackend('webgpu'));
