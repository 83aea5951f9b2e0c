/** What a {@link BufferPool} holds, for tests and diagnostics. */
export interface BufferPoolStats {
  /** Buffers created and not yet destroyed (in use or free). */
  readonly liveBuffers: number;
  /** Their total size in bytes. */
  readonly liveBytes: number;
  /** Free buffers waiting to be reused. */
  readonly freeBuffers: number;
  /** Their total size in bytes. */
  readonly freeBytes: number;
}

/**
 * Rounds a size up to its size class: a multiple of 256 bytes, at most 12.5% above the request
 * (so one pooled buffer serves many nearby sizes without wasting much memory).
 */
export function sizeClass(bytes: number): number {
  const atLeast = Math.max(256, Math.ceil(bytes / 256) * 256);
  const step = Math.max(256, 2 ** Math.floor(Math.log2(atLeast)) / 8);
  return Math.ceil(atLeast / step) * step;
}

/**
 * GPU buffers reused by usage and size class. Free buffers above `maxFreeBytes` are destroyed,
 * oldest first, so repeated calls reuse memory and odd sizes do not pile up.
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #maxFreeBytes: number;
  readonly #free = new Map<string, GPUBuffer[]>();
  readonly #freeOrder: GPUBuffer[] = [];
  #liveBuffers = 0;
  #liveBytes = 0;
  #freeBytes = 0;

  constructor(device: GPUDevice, maxFreeBytes = 256 * 1024 * 1024) {
    this.#device = device;
    this.#maxFreeBytes = maxFreeBytes;
  }

  /** A buffer of at least `bytes` bytes with exactly this `usage`. */
  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.#free.get(key(size, usage));
    const reused = list?.pop();
    if (reused !== undefined) {
      this.#freeOrder.splice(this.#freeOrder.indexOf(reused), 1);
      this.#freeBytes -= reused.size;
      return reused;
    }
    const buffer = this.#device.createBuffer({ size, usage });
    this.#liveBuffers++;
    this.#liveBytes += size;
    return buffer;
  }

  /** Gives a buffer back once the GPU work that uses it is complete. */
  release(buffer: GPUBuffer): void {
    const k = key(buffer.size, buffer.usage);
    let list = this.#free.get(k);
    if (list === undefined) {
      list = [];
      this.#free.set(k, list);
    }
    list.push(buffer);
    this.#freeOrder.push(buffer);
    this.#freeBytes += buffer.size;
    while (this.#freeBytes > this.#maxFreeBytes && this.#freeOrder.length > 0) {
      const oldest = this.#freeOrder.shift() as GPUBuffer;
      const oldList = this.#free.get(key(oldest.size, oldest.usage));
      oldList?.splice(oldList.indexOf(oldest), 1);
      this.#freeBytes -= oldest.size;
      this.#destroy(oldest);
    }
  }

  /** Destroys every free buffer (a disposed backend holds no buffer in use). */
  clear(): void {
    for (const buffer of this.#freeOrder) this.#destroy(buffer);
    this.#free.clear();
    this.#freeOrder.length = 0;
    this.#freeBytes = 0;
  }

  /** Counts of live and free buffers. */
  stats(): BufferPoolStats {
    return {
      liveBuffers: this.#liveBuffers,
      liveBytes: this.#liveBytes,
      freeBuffers: this.#freeOrder.length,
      freeBytes: this.#freeBytes,
    };
  }

  #destroy(buffer: GPUBuffer): void {
    this.#liveBuffers--;
    this.#liveBytes -= buffer.size;
    buffer.destroy();
  }
}

function key(size: number, usage: number): string {
  return `${usage}:${size}`;
}
