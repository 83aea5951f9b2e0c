/** Runs `calls` awaited calls after one warm-up call, and returns the median time per call in ms. */
export async function timeBlock(call: () => Promise<unknown>, calls: number): Promise<number> {
  await call();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}
