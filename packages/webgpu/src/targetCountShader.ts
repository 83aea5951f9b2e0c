import { LOSS_WORKGROUP_SIZE } from './shaders.js';

/**
 * The largest J of a GPU-resident target (a thread per row: its targets before the first negative
 * one, as the prep pass counts them), so that the host plans the loss passes as it does for a typed
 * target, whose J it counts itself. The range check of every target is left to the element pass,
 * which reads each target once beside its input.
 */
export const TARGET_COUNT_WGSL = /* wgsl */ `
const WG: u32 = ${LOSS_WORKGROUP_SIZE}u;

struct CountParams {
  rows: u32,    // rows of this chunk
  classes: u32, // C
}

@group(0) @binding(0) var<uniform> params: CountParams;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> largest: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * groups.x + wid.x) * WG + lid;
  if (row >= params.rows) { return; }
  let rowStart = row * params.classes;
  var count = 0u;
  while (count < params.classes && targets[rowStart + count] >= 0) { count++; }
  atomicMax(&largest[0], count);
}
`;
