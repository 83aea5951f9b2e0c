import './registerBuiltinBackends.js';

export { BUILTIN_PRIORITIES } from './registerBuiltinBackends.js';
export * from '@mlml/core-spec';
