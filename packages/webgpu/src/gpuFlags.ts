/*
 * WebGPU's buffer usage and map-mode flags, the spec's values, so that no global is needed
 * (`GPUBufferUsage` and `GPUMapMode` exist only where WebGPU does; Dawn installs them in Node only
 * on request).
 */

/** `GPUBufferUsage.MAP_READ`. */
export const MAP_READ = 0x1;
/** `GPUBufferUsage.COPY_SRC`. */
export const COPY_SRC = 0x4;
/** `GPUBufferUsage.COPY_DST`. */
export const COPY_DST = 0x8;
/** `GPUBufferUsage.UNIFORM`. */
export const UNIFORM = 0x40;
/** `GPUBufferUsage.STORAGE`. */
export const STORAGE = 0x80;
/** `GPUMapMode.READ`. */
export const MAP_MODE_READ = 0x1;
