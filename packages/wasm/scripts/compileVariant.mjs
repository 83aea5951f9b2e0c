// Compiles assembly/ (as generate.mjs does, private memory) to one .wasm file, for A/B timing
// of kernel variants with scripts/kernelAB.measure.ts:  node scripts/compileVariant.mjs out.wasm
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const assemblyDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'assembly');
let binary;
const { error, stderr } = await asc.main(
  [
    join(assemblyDir, 'index.ts'),
    '--outFile',
    'k.wasm',
    '-O3',
    '--noAssert',
    '--runtime',
    'stub',
    '--enable',
    'simd',
    '--importMemory',
    '--initialMemory',
    '1',
  ],
  {
    writeFile(name, contents) {
      if (name.endsWith('.wasm')) binary = contents;
    },
  },
);
if (error || !binary) {
  console.error(stderr.toString());
  process.exit(1);
}
await writeFile(process.argv[2], binary);
