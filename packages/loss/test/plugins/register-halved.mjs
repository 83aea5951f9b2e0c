// A plugin as an outside project writes it: importing it registers a backend (here core-spec's
// reference loops under another name, so the CLI has something to run).
import { createReferenceBackend, registerBackend } from '@mlml/core-spec';

registerBackend('plugin-reference', () => createReferenceBackend(), { priority: -50 });
