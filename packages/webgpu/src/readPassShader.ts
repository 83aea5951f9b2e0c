/** Threads per workgroup of the read pass. */
export const READ_PASS_WORKGROUP_SIZE = 256;

/**
 * The read-pass limit: every thread sums a strided share of the input and target bytes, then
 * one workgroup sums the partials. It reads what the loss reads and computes almost nothing.
 */
export const READ_PASS_WGSL = /* wgsl */ `
const WG: u32 = ${READ_PASS_WORKGROUP_SIZE}u;

struct Params {
  length: u32,
  threads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

var<workgroup> workgroupSums: array<f32, WG>;

@compute @workgroup_size(WG)
fn sumShares(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= params.threads) { return; }
  var sum = 0.0;
  for (var i = gid.x; i < params.length; i += params.threads) {
    sum += input[i] + f32(targets[i]);
  }
  partials[gid.x] = sum;
}

@compute @workgroup_size(WG)
fn sumPartials(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < params.threads; i += WG) { sum += partials[i]; }
  workgroupSums[lid] = sum;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { workgroupSums[lid] += workgroupSums[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[params.threads] = workgroupSums[0]; }
}
`;
