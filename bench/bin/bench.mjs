#!/usr/bin/env node
// `pnpm bench`: runs the built bench (dist/) with the command line's arguments. WebGPU in Node
// finds SwiftShader through VK_ICD_FILENAMES, which runBench sets when no driver was chosen.
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
// Every backend, device and subprocess is disposed by now; should a native handle still hold the
// event loop, do not hang: leave after a grace period.
setTimeout(() => process.exit(), 3000).unref();
