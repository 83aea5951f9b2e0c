export { createWasmBackend, WASM_CAPABILITIES, type WasmBackendOptions } from './createWasmBackend.js';
export { createWasmReadPass, type WasmReadPass } from './createWasmReadPass.js';
export { hasWasmSimd } from './simdSupport.js';
