import { defineConfig } from 'vite';

/** COOP/COEP make the page cross-origin isolated: SharedArrayBuffer, so wasm runs on worker threads. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  // Workspace packages from their TypeScript source: no build of the libraries needed.
  resolve: { conditions: ['@mlml/source', 'browser', 'module', 'import', 'default'] },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, reportCompressedSize: false },
});
