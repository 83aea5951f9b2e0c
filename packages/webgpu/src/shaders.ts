/*
 * The WGSL of the backend. WGSL lets a compiler assume that no value is NaN or infinite, so every
 * decision that involves them is taken on bits: the margin test compares ordered integer keys,
 * and infinities are flagged instead of being added.
 */

/** Threads per workgroup of the row kernel (one workgroup per row). */
export const ROW_WORKGROUP_SIZE = 64;

const SHARED_WGSL = /* wgsl */ `
const INF_BITS: u32 = 0x7f800000u;
const NAN_BITS: u32 = 0x7fc00000u;
const NO_THRESHOLD: u32 = 0xffffffffu;

fn isNanBits(b: u32) -> bool { return (b & 0x7fffffffu) > INF_BITS; }

// Knuth's TwoSum: s + e == a + b exactly.
fn twoSum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

// Double-float addition: (hi, lo) pairs carry about 48 significant bits.
fn ddAdd(p: vec2<f32>, q: vec2<f32>) -> vec2<f32> {
  let se = twoSum(p.x, q.x);
  let lo = se.y + (p.y + q.y);
  let hi = se.x + lo;
  return vec2<f32>(hi, lo - (hi - se.x));
}

const BIG_OPERAND: u32 = 0x53000000u; // 2^39: below it, a + x cannot reach 2^40
const SCALE_DOWN: f32 = 5.421010862427522e-20; // 2^-64

// Adds a counted term a + x, exactly (TwoSum), to a row's sums: terms of operands below 2^39 to
// the double-float "small" sum; larger ones, scaled exactly by 2^-64, to "big" (so no finite sum
// overflows); a term with an infinite operand (necessarily +inf) to a flag.
fn addTerm(aBits: u32, xBits: u32, small: ptr<function, vec2<f32>>, big: ptr<function, vec2<f32>>, sawInf: ptr<function, u32>) {
  let aAbs = aBits & 0x7fffffffu;
  let xAbs = xBits & 0x7fffffffu;
  if (max(aAbs, xAbs) < BIG_OPERAND) {
    *small = ddAdd(*small, twoSum(bitcast<f32>(aBits), bitcast<f32>(xBits)));
  } else if (aAbs == INF_BITS || xAbs == INF_BITS) {
    *sawInf = 1u;
  } else {
    *big = ddAdd(*big, twoSum(bitcast<f32>(aBits) * SCALE_DOWN, bitcast<f32>(xBits) * SCALE_DOWN));
  }
}

// Order-preserving key of a non-NaN float (-0 and +0 share a key); keys lie in [0x007fffff, 0xff800000].
fn orderedKey(bits: u32) -> u32 {
  var b = bits;
  if (b == 0x80000000u) { b = 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

// Key of x[d]: NaN gets 0, below every threshold.
fn inputKey(bits: u32) -> u32 {
  if (isNanBits(bits)) { return 0u; }
  return orderedKey(bits);
}

// (bits of a = fl(1 - x[y]), key of -a); a NaN margin gets a threshold nothing exceeds.
fn marginOf(xBits: u32) -> vec2<u32> {
  if (isNanBits(xBits)) { return vec2<u32>(NAN_BITS, NO_THRESHOLD); }
  var aBits: u32;
  if ((xBits & 0x7fffffffu) == INF_BITS) {
    aBits = (xBits ^ 0x80000000u);
  } else {
    aBits = bitcast<u32>(1.0 - bitcast<f32>(xBits));
  }
  return vec2<u32>(aBits, orderedKey(aBits ^ 0x80000000u));
}

// count * gradScale with IEEE special cases decided on bits (0 * inf and anything * NaN are NaN).
fn scaleCount(count: i32, scaleBits: u32) -> u32 {
  if ((scaleBits & INF_BITS) == INF_BITS) {
    if ((scaleBits & 0x007fffffu) != 0u || count == 0) { return NAN_BITS; }
    let negative = select(0u, 0x80000000u, count < 0);
    return INF_BITS | ((scaleBits & 0x80000000u) ^ negative);
  }
  return bitcast<u32>(f32(count) * bitcast<f32>(scaleBits));
}
`;

/** What both row kernels share: their pipeline switches, parameters and input bindings. */
const ROW_KERNEL_INPUTS_WGSL = /* wgsl */ `
override WITH_LOSS: bool = true;
override WITH_GRAD: bool = true;

struct Params {
  rows: u32,
  classes: u32,
  maskWords: u32,
  scratchStride: u32,
  dispatchX: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inputBits: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
`;

/**
 * The row kernel. One workgroup per row computes, for every counted pair (j, d), the term
 * a_j + x[d] with a_j = fl(1 - x[y_j]), and the pair counts:
 * - the margin test is key(x[d]) > key(-a_j) on order-preserving integer keys (NaN never passes),
 *   which is PyTorch's fl(a_j + x[d]) > 0 (a nonzero sum of two floats never rounds to 0);
 * - terms are added exactly (TwoSum) to double-float sums, see addTerm;
 * - non-target counts c_d come from the same loop; target counts from a histogram of c_d:
 *   pair (j, d) counts iff c_d > rank of -a_j among the thresholds.
 * Overrides WITH_LOSS / WITH_GRAD select forward, backward or both.
 */
export const ROW_KERNEL_WGSL = /* wgsl */ `
${SHARED_WGSL}
const WG: u32 = ${ROW_WORKGROUP_SIZE}u;
const TILE: u32 = 256u;

${ROW_KERNEL_INPUTS_WGSL}
@group(0) @binding(3) var<storage, read_write> scratch: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> gradBits: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read> gradScaleBits: array<u32>;
@group(0) @binding(6) var<storage, read_write> rowLoss: array<vec4<u32>>;

var<workgroup> firstNegative: atomic<u32>;
var<workgroup> targetCount: u32;
var<workgroup> tileMargin: array<u32, TILE>;
var<workgroup> tileThreshold: array<u32, TILE>;
var<workgroup> partialSmall: array<vec2<f32>, WG>;
var<workgroup> partialBig: array<vec2<f32>, WG>;
var<workgroup> partialInf: array<u32, WG>;




fn isTargetClass(maskBase: u32, d: u32) -> bool {
  return ((atomicLoad(&scratch[maskBase + (d >> 5u)]) >> (d & 31u)) & 1u) == 1u;
}


@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * params.dispatchX + wid.x;
  if (row >= params.rows) { return; }
  let classes = params.classes;
  let base = row * classes;
  let maskBase = row * params.scratchStride;
  let histBase = maskBase + params.maskWords;

  // J: the position of the first -1.
  if (lid == 0u) { atomicStore(&firstNegative, classes); }
  workgroupBarrier();
  for (var i = lid; i < classes; i += WG) {
    if (targets[base + i] < 0) {
      atomicMin(&firstNegative, i);
      break;
    }
  }
  workgroupBarrier();
  if (lid == 0u) { targetCount = atomicLoad(&firstNegative); }
  let J = workgroupUniformLoad(&targetCount);

  // The row's target bitmap (and, for gradients, a zeroed histogram of counts 0..J).
  for (var w = lid; w < params.maskWords; w += WG) { atomicStore(&scratch[maskBase + w], 0u); }
  if (WITH_GRAD) {
    for (var k = lid; k <= J; k += WG) { atomicStore(&scratch[histBase + k], 0u); }
  }
  storageBarrier();
  for (var j = lid; j < J; j += WG) {
    let y = u32(targets[base + j]);
    atomicOr(&scratch[maskBase + (y >> 5u)], 1u << (y & 31u));
  }
  storageBarrier();

  var small = vec2<f32>(0.0, 0.0);
  var big = vec2<f32>(0.0, 0.0);
  var sawInf = 0u;
  for (var t0 = 0u; t0 < J; t0 += TILE) {
    let tileLength = min(TILE, J - t0);
    workgroupBarrier();
    for (var k = lid; k < tileLength; k += WG) {
      let y = u32(targets[base + t0 + k]);
      let margin = marginOf(inputBits[base + y]);
      tileMargin[k] = margin.x;
      tileThreshold[k] = margin.y;
    }
    workgroupBarrier();
    for (var d = lid; d < classes; d += WG) {
      var count = 0u;
      if (!isTargetClass(maskBase, d)) {
        let xBits = inputBits[base + d];
        let key = inputKey(xBits);
        for (var k = 0u; k < tileLength; k++) {
          if (key > tileThreshold[k]) {
            count += 1u;
            if (WITH_LOSS) { addTerm(tileMargin[k], xBits, &small, &big, &sawInf); }
          }
        }
      }
      if (WITH_GRAD) {
        if (t0 == 0u) {
          atomicStore(&gradBits[base + d], i32(count));
        } else {
          atomicAdd(&gradBits[base + d], i32(count));
        }
      }
    }
  }

  if (WITH_LOSS) {
    partialSmall[lid] = small;
    partialBig[lid] = big;
    partialInf[lid] = sawInf;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride) {
        partialSmall[lid] = ddAdd(partialSmall[lid], partialSmall[lid + stride]);
        partialBig[lid] = ddAdd(partialBig[lid], partialBig[lid + stride]);
        partialInf[lid] = partialInf[lid] | partialInf[lid + stride];
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      let s = partialSmall[0];
      let b = partialBig[0];
      var bigHi = bitcast<u32>(b.x);
      var bigLo = bitcast<u32>(b.y);
      if (partialInf[0] != 0u) {
        bigHi = INF_BITS;
        bigLo = 0u;
      }
      rowLoss[row] = vec4<u32>(bitcast<u32>(s.x), bitcast<u32>(s.y), bigHi, bigLo);
    }
  }

  if (WITH_GRAD) {
    if (J > 0u) {
      // Histogram of the non-target counts, then suffix sums: hist[m] = #{d : c_d > m}.
      for (var d = lid; d < classes; d += WG) {
        if (!isTargetClass(maskBase, d)) {
          let c = u32(atomicLoad(&gradBits[base + d]));
          atomicAdd(&scratch[histBase + c], 1u);
        }
      }
      storageBarrier();
      if (lid == 0u) {
        var running = 0u;
        for (var m = J + 1u; m > 0u; m--) {
          let h = atomicLoad(&scratch[histBase + m - 1u]);
          atomicStore(&scratch[histBase + m - 1u], running);
          running += h;
        }
      }
      storageBarrier();
      // Target j is counted by every d with c_d > rank_j (thresholds strictly below its own).
      for (var j = lid; j < J; j += WG) {
        let threshold = marginOf(inputBits[base + u32(targets[base + j])]).y;
        var rank = 0u;
        for (var k = 0u; k < J; k++) {
          let other = marginOf(inputBits[base + u32(targets[base + k])]).y;
          rank += select(0u, 1u, other < threshold);
        }
        let counted = atomicLoad(&scratch[histBase + rank]);
        atomicSub(&gradBits[base + u32(targets[base + j])], i32(counted));
      }
      storageBarrier();
    }
    let scaleBits = gradScaleBits[row];
    for (var d = lid; d < classes; d += WG) {
      var c = 0;
      if (J > 0u) { c = atomicLoad(&gradBits[base + d]); }
      atomicStore(&gradBits[base + d], bitcast<i32>(scaleCount(c, scaleBits)));
    }
  }
}
`;

/** Rows per workgroup of the row-per-thread kernel. */
export const THREAD_ROWS_WORKGROUP_SIZE = 64;

/**
 * The row-per-thread kernel, for rows of modest size: one invocation computes a whole row with
 * PyTorch's loops (j outer, d inner), so there are no barriers and no workgroup memory, which
 * are costly on some implementations (SwiftShader). Same bindings and results as the row kernel.
 */
export const THREAD_ROWS_KERNEL_WGSL = /* wgsl */ `
${SHARED_WGSL}
const WG: u32 = ${THREAD_ROWS_WORKGROUP_SIZE}u;

${ROW_KERNEL_INPUTS_WGSL}
@group(0) @binding(3) var<storage, read_write> scratch: array<u32>;
@group(0) @binding(4) var<storage, read_write> grad: array<i32>;
@group(0) @binding(5) var<storage, read> gradScaleBits: array<u32>;
@group(0) @binding(6) var<storage, read_write> rowLoss: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * params.dispatchX + wid.x) * WG + lid;
  if (row >= params.rows) { return; }
  let classes = params.classes;
  let base = row * classes;
  let maskBase = row * params.scratchStride;

  var J = classes;
  for (var i = 0u; i < classes; i++) {
    if (targets[base + i] < 0) {
      J = i;
      break;
    }
  }
  for (var w = 0u; w < params.maskWords; w++) { scratch[maskBase + w] = 0u; }
  for (var j = 0u; j < J; j++) {
    let y = u32(targets[base + j]);
    scratch[maskBase + (y >> 5u)] |= 1u << (y & 31u);
  }
  if (WITH_GRAD) {
    for (var d = 0u; d < classes; d++) { grad[base + d] = 0; }
  }

  var small = vec2<f32>(0.0, 0.0);
  var big = vec2<f32>(0.0, 0.0);
  var sawInf = 0u;
  for (var j = 0u; j < J; j++) {
    let y = u32(targets[base + j]);
    let margin = marginOf(inputBits[base + y]);
    var counted = 0;
    for (var d = 0u; d < classes; d++) {
      let xBits = inputBits[base + d];
      let isTarget = ((scratch[maskBase + (d >> 5u)] >> (d & 31u)) & 1u) == 1u;
      if (!isTarget && inputKey(xBits) > margin.y) {
        counted += 1;
        if (WITH_GRAD) { grad[base + d] += 1; }
        if (WITH_LOSS) { addTerm(margin.x, xBits, &small, &big, &sawInf); }
      }
    }
    if (WITH_GRAD) { grad[base + y] -= counted; }
  }

  if (WITH_LOSS) {
    var bigHalf = bitcast<vec2<u32>>(big);
    if (sawInf != 0u) { bigHalf = vec2<u32>(INF_BITS, 0u); }
    rowLoss[row] = vec4<u32>(bitcast<vec2<u32>>(small), bigHalf);
  }
  if (WITH_GRAD) {
    let scaleBits = gradScaleBits[row];
    for (var d = 0u; d < classes; d++) {
      grad[base + d] = bitcast<i32>(scaleCount(grad[base + d], scaleBits));
    }
  }
}
`;

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
