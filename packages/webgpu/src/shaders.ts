/*
 * The WGSL of the loss. WGSL lets a compiler assume that no value is NaN or infinite, so every
 * decision that involves them is taken on bits: margins compare order-preserving integer keys,
 * and infinite terms are flagged instead of being added.
 *
 * Per row, with a_j = fl(1 - x[y_j]) and thresholds t_j = -a_j, a non-target x[d] counts against
 * target j iff key(x[d]) > key(t_j): exactly PyTorch's fl(a_j + x[d]) > 0 in float32 (a nonzero
 * float sum cannot round to 0; NaN never passes). Three passes per chunk of rows:
 *
 * 1. prep (a thread per row): J, the row's target bitmap, its J threshold keys sorted once, and
 *    gap sums G[k] = sum over i < k of (t[k-1] - t[i]) as double-floats (non-negative parts only);
 *    beyond 8 targets, a bucket table by value whose entries give counts (see bucketEntry).
 * 2. elements (a thread per (row, segment), a 2-D grid flattened; segment s of a row holds classes
 *    s, s + P, s + 2P, ... so that neighbouring threads read neighbouring elements): the count
 *    k_d of thresholds below x[d] (compared with keys in registers up to 8 targets, else from its
 *    bucket's entry with two compares; a binary search only in a rare bucket of three or more
 *    distinct keys), the row's loss terms as
 *       sum over counted j of (x[d] - t_j) = k_d * (x[d] - t[k_d - 1]) + G[k_d]
 *    (exact products and sums: TwoProduct, TwoSum, double-float accumulation; no per-pair work),
 *    the gradient k_d * scale at non-targets, and a histogram of k_d for the targets' side.
 * 3. finish (a thread per row): the row's segment sums added in segment order (a fixed order:
 *    bit-identical run to run), and target gradients -sum c_j * scale, where c_j, the number of
 *    non-targets above t_j, is read off the histogram's suffix sums.
 *
 * Terms whose operands reach 2^39 are added, scaled exactly by 2^-64, to a second ("big") sum, so
 * no finite sum overflows; a counted pair with an infinite operand (necessarily +inf) sets a flag.
 */

/** u32 words of a bucket table entry (see the element pass's bucketEntry). */
export const BUCKET_ENTRY_WORDS = 4;

/** Threads per workgroup of every loss pass but the prep. */
export const LOSS_WORKGROUP_SIZE = 64;

/**
 * Threads per workgroup of the prep pass (a thread per row, each with serial work): small, so that
 * the few rows of a call of wide rows still spread over several workgroups (and CPU cores).
 */
export const PREP_WORKGROUP_SIZE = 8;

/** Bits of the first-bad-target slot when every target is in range. */
export const NO_BAD_TARGET = 0xffffffff;

/** u32 words at the start of the status buffer, before the count histograms. */
export const STATUS_WORDS = 4;

/**
 * u32 words at the start of a row's scratch: J, flags, the bucket table's range and scale, and the
 * number of keys below +inf (the count of an element above every finite threshold).
 */
export const ROW_HEADER_WORDS = 8;

const COMMON_WGSL = /* wgsl */ `
override WITH_LOSS: bool = true;
override WITH_GRAD: bool = true;
const WG: u32 = ${LOSS_WORKGROUP_SIZE}u;
const INF_BITS: u32 = 0x7f800000u;
const NAN_BITS: u32 = 0x7fc00000u;
const NO_THRESHOLD: u32 = 0xffffffffu;
const NEG_INF_KEY: u32 = 0x007fffffu;
const ZERO_KEY: u32 = 0x80000000u;
const POS_INF_KEY: u32 = 0xff800000u;
const BIG_OPERAND: u32 = 0x53000000u; // 2^39: below it, no small-sum product or sum overflows
const SCALE_DOWN: f32 = 5.421010862427522e-20; // 2^-64
const STATUS_WORDS: u32 = ${STATUS_WORDS}u;
const ROW_FAST: u32 = 1u; // flag: every finite threshold below 2^39 in magnitude, none -inf, J < 2^12

struct Params {
  rows: u32,          // rows of this chunk
  classes: u32,       // C
  segments: u32,      // P: threads per row in the element pass
  keyStride: u32,     // slots per row for keys, gap sums and the histogram (>= max J + 1)
  maskWords: u32,     // u32 words of a row's target bitmap
  scratchStride: u32, // u32 words of scratch per row
  checkRange: u32,    // 1: targets not validated on the host; the element pass checks each one
  firstElement: u32,  // the chunk's first element in the call's target (for the first bad index)
  buckets: u32,       // B: buckets of a row's table (searched path), a power of two; 0 without tables
  threadMaskWords: u32, // u32 words of an element-pass thread's target bits (32 of its elements a word)
  denseTable: u32,    // 1: the dense path's tables (entries exact for buckets of up to three keys)
  unused2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inputBits: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
// Per row: [J, flags, table range and scale, first search step, - (8 words), keys (keyStride), gap
// sums (4 words per k: small hi/lo, big hi/lo), bitmap, bucket table (B + 1 packed entries)].
@group(0) @binding(3) var<storage, read_write> scratch: array<u32>;
// [first bad target index, its value, -, -], then per row a histogram of counts (keyStride).
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> grad: array<u32>;
@group(0) @binding(6) var<storage, read> gradScaleBits: array<u32>;
@group(0) @binding(7) var<storage, read_write> partials: array<vec4<u32>>;
@group(0) @binding(8) var<storage, read_write> rowTotals: array<vec4<u32>>;

fn threadIndex(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * groups.x + wid.x) * WG + lid;
}

fn isNanBits(b: u32) -> bool { return (b & 0x7fffffffu) > INF_BITS; }

// Order-preserving key of a non-NaN float (-0 and +0 share a key); keys lie in [0x007fffff, 0xff800000].
fn orderedKey(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// The float bits of a key (+0 for the shared key of -0 and +0).
fn keyBits(key: u32) -> u32 {
  return select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u);
}

// Key of x[d]: NaN gets 0, below every threshold.
fn inputKey(bits: u32) -> u32 {
  return select(orderedKey(bits), 0u, isNanBits(bits));
}

// Key of x[d] for comparing with threshold keys in fewer operations: the sign flips the other bits
// too, so -0 gets the key below +0's (0x7fffffff); no threshold key is -0's (orderedKey gives it
// +0's), so key > threshold key still decides x[d] > t exactly. NaN gets 0.
fn elementKey(bits: u32) -> u32 {
  return select(bits ^ (bitcast<u32>(bitcast<i32>(bits) >> 31u) | 0x80000000u), 0u, isNanBits(bits));
}

// Key of the threshold t = -fl(1 - x[y]); a NaN margin gets a key nothing exceeds.
fn thresholdKey(xBits: u32) -> u32 {
  if (isNanBits(xBits)) { return NO_THRESHOLD; }
  var aBits: u32;
  if ((xBits & 0x7fffffffu) == INF_BITS) {
    aBits = xBits ^ 0x80000000u;
  } else {
    aBits = bitcast<u32>(1.0 - bitcast<f32>(xBits));
  }
  return orderedKey(aBits ^ 0x80000000u);
}

// The row's target class j, clamped into the row (an out-of-range target never reads outside it;
// such a call is rejected).
fn targetClass(rowStart: u32, j: u32) -> u32 {
  return min(u32(targets[rowStart + j]), params.classes - 1u);
}

fn keysAt(row: u32) -> u32 { return row * params.scratchStride + ${ROW_HEADER_WORDS}u; }
fn flagsAt(row: u32) -> u32 { return row * params.scratchStride + 1u; }
fn gapsAt(row: u32) -> u32 { return keysAt(row) + params.keyStride; }
// values[k]: the float bits of t[k - 1], 0 for k = 0 (so that a term of count 0 is a finite 0).
fn valuesAt(row: u32) -> u32 { return gapsAt(row) + 4u * params.keyStride; }
fn maskAt(row: u32) -> u32 { return valuesAt(row) + params.keyStride; }
fn tableAt(row: u32) -> u32 { return maskAt(row) + params.maskWords; }
// Per element-pass thread (segment s), threadMaskWords words: bit i of word w is set iff its element
// 32w + i (class s + (32w + i) * P) is a target class.
fn threadMasksAt(row: u32) -> u32 {
  return tableAt(row) + select(0u, ENTRY_WORDS * (params.buckets + 1u), params.buckets > 0u);
}

// What a row's bucket table needs: the keys and values of its lowest and highest finite
// thresholds and the scale that maps the values between them onto [0, B - 1].
struct Buckets {
  keyLow: u32,
  keyHigh: u32,
  low: f32,
  scale: f32,
}

fn bucketsOf(row: u32) -> Buckets {
  let at = row * params.scratchStride;
  return Buckets(scratch[at + 2u], scratch[at + 3u], bitcast<f32>(scratch[at + 4u]), bitcast<f32>(scratch[at + 5u]));
}

// The bucket of a key: non-decreasing in the key (so a threshold in a lower bucket than an element
// is below it, one in a higher bucket above it), linear in value between the lowest and highest
// finite thresholds, the keys beyond them clamped to theirs first (so only finite values in that
// range are computed on; a row without finite thresholds, or whose scale could not be set, has a
// low and a scale of 0: one bucket).
fn bucketOf(key: u32, b: Buckets) -> u32 {
  let value = bitcast<f32>(keyBits(clamp(key, b.keyLow, b.keyHigh)));
  return bucketIndex(value, b, f32(params.buckets - 1u));
}

// (value - low) * scale, at most the last bucket, rounded to the nearest integer by adding 2^23
// (exact, as B <= 2^13): no float-to-integer conversion, which SwiftShader emulates in several
// operations. The prep and the element pass compute it the same way, so it is the same function.
fn bucketIndex(value: f32, b: Buckets, lastBucket: f32) -> u32 {
  return bitcast<u32>(min((value - b.low) * b.scale, lastBucket) + 8388608.0) - 0x4b000000u;
}

// The element pass compares signed keys: a key with its top bit flipped, read as an i32 (the same
// order; SwiftShader compares signed integers in one instruction, unsigned ones in several).
fn signedKey(key: u32) -> i32 { return bitcast<i32>(key ^ 0x80000000u); }

// signedKey(elementKey(bits)) in fewer operations: a negative float's other bits flipped, NaN the
// lowest i32 (below every threshold).
fn elementSignedKey(bits: u32) -> i32 {
  let b = bitcast<i32>(bits);
  return select(b ^ bitcast<i32>(bitcast<u32>(b >> 31u) >> 1u), SIGNED_NAN_KEY, (b & 0x7fffffff) > 0x7f800000);
}
const SIGNED_NAN_KEY: i32 = -2147483647 - 1;

// A bucket's table entry (4 words). Its first word packs p, the keys below the bucket (20 bits),
// m, its number of keys less one (10 bits), EMPTY_BUCKET and MIXED_BUCKET. An empty bucket's
// (and the entry above the highest finite threshold's) other words are those that its elements'
// count p reads by count: t[p - 1]'s value and G[p] (small hi, lo), so that its elements read
// nothing more. A bucket that holds keys has its lowest and highest keys (signed keys) next, and
// the count of keys below an element's key is p + [key > low] + m * [key > high], exact unless
// the bucket is mixed (more than two keys, not all equal) and the key lies in (low, high]. On a
// dense table (the dense path: fewer buckets than 8 per threshold, so that buckets of three keys
// are common) its last word holds the second lowest key, and a bucket is mixed only from four
// keys on (see denseEntryCount). (A p or m too large to pack makes the bucket mixed over every
// key it can hold: searched, never wrong.)
const ENTRY_WORDS: u32 = ${BUCKET_ENTRY_WORDS}u;
const MIXED_BUCKET: u32 = 0x80000000u;
const EMPTY_BUCKET: u32 = 0x40000000u;
const ENTRY_P_MASK: u32 = 0xfffffu;
const ENTRY_M_MASK: u32 = 0x3ffu;

// What the element pass needs of a row's bucket table (see Buckets), held by each thread.
struct Table {
  at: u32,          // the table's first word
  keyLow: i32,      // signed keys of the lowest and highest finite thresholds
  keyHigh: i32,
  lowBits: u32,     // the float bits of the values the keys beyond them are clamped to
  highBits: u32,
  aboveEntry: u32,  // the entry of keys above the highest finite threshold
  lastBucket: f32,
  b: Buckets,
}

fn tableOf(row: u32) -> Table {
  let b = bucketsOf(row);
  return Table(tableAt(row), signedKey(b.keyLow), signedKey(b.keyHigh), bitcast<u32>(b.low), keyBits(b.keyHigh),
               params.buckets, f32(params.buckets - 1u), b);
}

// The table entry of a key's bucket: bucketOf's bucket, computed from the element's own value
// (xBits, whose signed key is key) where it lies in the table's range, else from the range's ends
// (a NaN or target element, of the lowest key, takes the lowest); a key above the highest finite
// threshold has an entry of its own (after the B buckets').
fn bucketEntry(t: Table, key: i32, xBits: u32) -> vec4<u32> {
  let above = key > t.keyHigh;
  let value = bitcast<f32>(select(select(xBits, t.lowBits, key < t.keyLow), t.highBits, above));
  let at = t.at + ENTRY_WORDS * select(bucketIndex(value, t.b, t.lastBucket), t.aboveEntry, above);
  return vec4<u32>(scratch[at], scratch[at + 1u], scratch[at + 2u], scratch[at + 3u]);
}

fn entryIsEmpty(entry: vec4<u32>) -> bool { return (entry.x & EMPTY_BUCKET) != 0u; }

// The count of keys below key from its bucket's entry (exact unless entryNeedsSearch).
fn entryCount(entry: vec4<u32>, key: i32) -> u32 {
  let keys = !entryIsEmpty(entry);
  return (entry.x & ENTRY_P_MASK) + select(0u, 1u, keys & (key > bitcast<i32>(entry.y))) +
         select(0u, (entry.x >> 20u) & ENTRY_M_MASK, keys & (key > bitcast<i32>(entry.z)));
}

// entryCount on a dense table, whose entries of buckets with keys hold a third key, the second
// lowest (the highest in a bucket of two, the only one in a bucket of one), in their last word:
// p + [key > low] + [key > second] + (m - 1) * [key > high] (m - 1 wraps to -1 for one key),
// exact for buckets of at most three keys or of equal keys.
fn denseEntryCount(entry: vec4<u32>, key: i32) -> u32 {
  let keys = !entryIsEmpty(entry);
  return (entry.x & ENTRY_P_MASK) + select(0u, 1u, keys & (key > bitcast<i32>(entry.y))) +
         select(0u, 1u, keys & (key > bitcast<i32>(entry.w))) +
         select(0u, ((entry.x >> 20u) & ENTRY_M_MASK) - 1u, keys & (key > bitcast<i32>(entry.z)));
}

// Whether entryCount may be wrong for key: its bucket is mixed and key lies between its ends.
fn entryNeedsSearch(entry: vec4<u32>, key: i32) -> bool {
  return (bitcast<i32>(entry.x) < 0) & (key > bitcast<i32>(entry.y)) & (key <= bitcast<i32>(entry.z));
}

fn histAt(row: u32) -> u32 { return STATUS_WORDS + row * params.keyStride; }

fn isTargetClass(row: u32, d: u32) -> bool {
  return ((scratch[maskAt(row) + (d >> 5u)] >> (d & 31u)) & 1u) == 1u;
}

// The number of the row's J sorted keys that are below key.
fn countBelow(keys: u32, count: u32, key: u32) -> u32 {
  var low = 0u;
  var n = count;
  while (n > 0u) {
    let half = n >> 1u;
    if (scratch[keys + low + half] < key) {
      low += half + 1u;
      n -= half + 1u;
    } else {
      n = half;
    }
  }
  return low;
}

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

// Dekker's split: hi + lo == a, each with at most 12 significant bits.
fn split(a: f32) -> vec2<f32> {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}

// Dekker's TwoProduct: p + e == a * b exactly (no FMA needed).
fn twoProduct(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let sa = split(a);
  let sb = split(b);
  let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
  return vec2<f32>(p, e);
}

// k * v for a count k and a double-float v, as a double-float (k split in two exact halves
// from 2^24 on, where f32(k) would round).
fn mulCount(k: u32, v: vec2<f32>) -> vec2<f32> {
  if (k < 0x1000000u) {
    let p = twoProduct(f32(k), v.x);
    return ddAdd(p, vec2<f32>(f32(k) * v.y, 0.0));
  }
  let high = twoProduct(f32(k & 0xfffff000u), v.x);
  let low = twoProduct(f32(k & 0xfffu), v.x);
  return ddAdd(ddAdd(high, low), vec2<f32>(f32(k) * v.y, 0.0));
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

/** Pass 1, a thread per row: J, the target bitmap, the sorted threshold keys and the gap sums. */
export const PREP_WGSL = /* wgsl */ `
${COMMON_WGSL}

fn swapKeys(keys: u32, a: u32, b: u32) {
  let t = scratch[keys + a];
  scratch[keys + a] = scratch[keys + b];
  scratch[keys + b] = t;
}

fn siftDown(keys: u32, start: u32, end: u32) {
  var root = start;
  loop {
    var child = 2u * root + 1u;
    if (child >= end) { break; }
    if (child + 1u < end && scratch[keys + child] < scratch[keys + child + 1u]) { child += 1u; }
    if (scratch[keys + root] < scratch[keys + child]) {
      swapKeys(keys, root, child);
      root = child;
    } else {
      break;
    }
  }
}

// Insertion sort: O(count + inversions).
fn insertionSort(keys: u32, count: u32) {
  for (var i = 1u; i < count; i++) {
    let key = scratch[keys + i];
    var j = i;
    while (j > 0u && scratch[keys + j - 1u] > key) {
      scratch[keys + j] = scratch[keys + j - 1u];
      j--;
    }
    scratch[keys + j] = key;
  }
}

fn heapSort(keys: u32, count: u32) {
  for (var start = count / 2u; start > 0u; start--) { siftDown(keys, start - 1u, count); }
  for (var end = count - 1u; end > 0u; end--) {
    swapKeys(keys, 0u, end);
    siftDown(keys, 0u, end);
  }
}

fn storeGap(gaps: u32, k: u32, small: vec2<f32>, big: vec2<f32>) {
  scratch[gaps + 4u * k] = bitcast<u32>(small.x);
  scratch[gaps + 4u * k + 1u] = bitcast<u32>(small.y);
  scratch[gaps + 4u * k + 2u] = bitcast<u32>(big.x);
  scratch[gaps + 4u * k + 3u] = bitcast<u32>(big.y);
}

// Sorts the row's J keys by bucket and writes its bucket table: the finite thresholds' range and
// scale, then for b in [0, B] the number of keys in buckets below b (a counting sort by bucket,
// from the gap sums' slots, where the prep left the keys and which are written later, into the
// keys' slots). Keys within a bucket are then put in order by insertion (few per bucket when
// thresholds are spread out), or by a heap sort of the whole row when one bucket holds many:
// O(J + B) for spread thresholds, O(J log J) at worst.
fn bucketSort(row: u32, keys: u32, J: u32) {
  var keyLow = NO_THRESHOLD;
  var keyHigh = 0u;
  var belowInfinity = 0u;
  let unsorted = gapsAt(row);
  for (var j = 0u; j < J; j++) {
    let key = scratch[unsorted + j];
    belowInfinity += select(0u, 1u, key < POS_INF_KEY);
    if (key > NEG_INF_KEY && key < POS_INF_KEY) {
      keyLow = min(keyLow, key);
      keyHigh = max(keyHigh, key);
    }
  }
  var b = Buckets(ZERO_KEY, ZERO_KEY, 0.0, 0.0);
  if (keyLow <= keyHigh) {
    b.keyLow = keyLow;
    b.keyHigh = keyHigh;
    let low = bitcast<f32>(keyBits(keyLow));
    let high = bitcast<f32>(keyBits(keyHigh));
    // Values far from overflow and a span wide enough that the scale stays finite; else one
    // bucket holds them all (correct, only slower), with a low of 0 so that every value in the
    // range computes (value - 0) * 0 = 0.
    if (max(abs(low), abs(high)) < 1e37 && high - low > 1e-30) {
      b.low = low;
      b.scale = f32(params.buckets - 1u) / (high - low);
    }
  }
  let at = row * params.scratchStride;
  scratch[at + 2u] = b.keyLow;
  scratch[at + 3u] = b.keyHigh;
  scratch[at + 4u] = bitcast<u32>(b.low);
  scratch[at + 5u] = bitcast<u32>(b.scale);
  let table = tableAt(row);
  let buckets = params.buckets;
  for (var j = 0u; j < J; j++) {
    let end = table + bucketOf(scratch[unsorted + j], b) + 1u;
    scratch[end] += 1u;
  }
  // Prefix sums (table[t] becomes the end of bucket t - 1), and the largest bucket's size.
  var largest = 0u;
  var running = 0u;
  for (var t = 1u; t <= buckets; t++) {
    let size = scratch[table + t];
    largest = max(largest, size);
    running += size;
    scratch[table + t] = running;
  }
  // table[b + 1] is the end of bucket b: filled from its end, it becomes the bucket's start.
  for (var j = 0u; j < J; j++) {
    let key = scratch[unsorted + j];
    let end = table + bucketOf(key, b) + 1u;
    let position = scratch[end] - 1u;
    scratch[end] = position;
    scratch[keys + position] = key;
  }
  if (largest <= 16u) {
    insertionSort(keys, J);
  } else {
    heapSort(keys, J);
  }
  scratch[belowInfinityAt(row)] = belowInfinity;
}

fn belowInfinityAt(row: u32) -> u32 { return row * params.scratchStride + 6u; }

// The entries (see bucketEntry), 4 words each, written from the last down over the bucket starts
// that bucketSort left (table[t + 1], read before entry t's words reach it), once the values and
// gap sums are known. Keys above the highest finite threshold have an entry of their own: below
// them, all but the +inf and NaN thresholds (none of which is counted below any key).
fn writeEntries(row: u32, keys: u32, J: u32) {
  let table = tableAt(row);
  let buckets = params.buckets;
  storeEntry(row, table + ENTRY_WORDS * buckets, scratch[belowInfinityAt(row)], 0u, NO_THRESHOLD, NO_THRESHOLD,
             NO_THRESHOLD);
  var end = J;
  // Without branches: the rows of a SIMD group hold keys in different buckets, so a branch would
  // run both sides for most buckets.
  for (var t = buckets; t > 0u; t--) {
    let start = scratch[table + t];
    let last = max(end, 1u) - 1u;
    storeEntry(row, table + ENTRY_WORDS * (t - 1u), start, end - start, scratch[keys + start],
               scratch[keys + min(start + 1u, last)], scratch[keys + last]);
    end = start;
  }
}

// Writes the entry of a bucket of count keys from key position start, low and high the lowest
// and highest (unsigned keys; any value when the bucket is empty). See bucketEntry. (No branches:
// the rows of a SIMD group hold keys in different buckets.)
fn storeEntry(row: u32, at: u32, start: u32, count: u32, low: u32, second: u32, high: u32) {
  // A count or start too large to pack: every key the entry can serve is searched (the lowest key
  // is NaN's and a target's, which only bucket 0 serves, whose start is 0).
  let far = start > ENTRY_P_MASK;
  let full = count > ENTRY_M_MASK;
  let dense = params.denseTable != 0u;
  let mixed = (count > select(2u, 3u, dense) && low != high) || full || far;
  let lowKey = select(low ^ 0x80000000u, 0x80000000u, far); // signed keys, as the element pass compares them
  let highKey = select(high ^ 0x80000000u, 0x7fffffffu, full || far);
  let empty = count == 0u && !far;
  let gap = gapsAt(row) + 4u * start;
  let packed = min(start, ENTRY_P_MASK) | (min(max(count, 1u) - 1u, ENTRY_M_MASK) << 20u) |
               select(0u, MIXED_BUCKET, mixed);
  scratch[at] = select(packed, start | EMPTY_BUCKET, empty);
  scratch[at + 1u] = select(lowKey, scratch[valuesAt(row) + start], empty);
  scratch[at + 2u] = select(highKey, scratch[gap], empty);
  scratch[at + 3u] = select(scratch[gap + 1u], second ^ 0x80000000u, dense && !empty);
}

@compute @workgroup_size(${PREP_WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * groups.x + wid.x) * ${PREP_WORKGROUP_SIZE}u + lid;
  if (row >= params.rows) { return; }
  let classes = params.classes;
  let rowStart = row * classes;
  // The row's scratch was cleared before this pass (the bitmaps and the bucket counts start at 0).
  let mask = maskAt(row);
  let threadMasks = threadMasksAt(row);
  let segments = params.segments;
  let threadWords = params.threadMaskWords;
  let keys = keysAt(row);
  // The keys go where the sort wants them: the bucket sort scatters them from the gap sums' slots
  // (written later) into place.
  let unsorted = select(keys, gapsAt(row), params.buckets > 0u);
  // J: the targets before the first -1 (at most keyStride - 1), each read once.
  let most = min(classes, params.keyStride - 1u);
  var J = 0u;
  for (; J < most; J++) {
    let label = targets[rowStart + J];
    if (label < 0) { break; }
    let y = min(u32(label), classes - 1u);
    scratch[mask + (y >> 5u)] |= 1u << (y & 31u);
    let i = y / segments;
    scratch[threadMasks + (y - i * segments) * threadWords + (i >> 5u)] |= 1u << (i & 31u);
    scratch[unsorted + J] = thresholdKey(inputBits[rowStart + y]);
  }
  scratch[row * params.scratchStride] = J;
  if (params.buckets > 0u) {
    bucketSort(row, keys, J);
  } else {
    insertionSort(keys, J);
  }
  let values = valuesAt(row);
  scratch[values] = 0u;
  // Values t[k-1] by count: written by the gap sums' loop as far as it goes, the rest below.
  var valuesDone = 1u;
  if (WITH_GRAD) {
    let hist = histAt(row);
    for (var k = 0u; k <= J; k++) { atomicStore(&status[hist + k], 0u); }
  }
  if (WITH_LOSS) {
    // G[k] = G[k-1] + (k-1) * (t[k-1] - t[k-2]), over finite thresholds only (a term with an
    // infinite operand is flagged, never added). The small sums stop being valid (and are never
    // read) from the first threshold of magnitude 2^39 on.
    let gaps = gapsAt(row);
    var small = vec2<f32>(0.0, 0.0);
    var big = vec2<f32>(0.0, 0.0);
    var fast = J < 0x1000u; // the element pass's split products need k < 2^12
    storeGap(gaps, 0u, small, big);
    // A -inf threshold makes every counted term of the row +inf: no gap sum is ever read.
    let startsAtNegativeInf = J > 0u && scratch[keys] == NEG_INF_KEY;
    if (startsAtNegativeInf) { fast = false; }
    // (The previous threshold's value carried from the iteration before.)
    var previous = 0.0;
    for (var k = 1u; k <= J && !startsAtNegativeInf; k++) {
      let currentKey = scratch[keys + k - 1u];
      if (currentKey >= POS_INF_KEY) { break; }
      let currentBits = keyBits(currentKey);
      scratch[values + k] = currentBits;
      valuesDone = k + 1u;
      let current = bitcast<f32>(currentBits);
      if (abs(current) >= bitcast<f32>(BIG_OPERAND)) { fast = false; }
      if (k > 1u && max(abs(previous), abs(current)) < bitcast<f32>(BIG_OPERAND)) {
        small = ddAdd(small, mulCount(k - 1u, twoSum(current, -previous)));
      }
      scratch[gaps + 4u * k] = bitcast<u32>(small.x);
      scratch[gaps + 4u * k + 1u] = bitcast<u32>(small.y);
      previous = current;
    }
    // The big sums (operands scaled by 2^-64), only for rows that are not plain. In a plain row
    // they would be the small sums times 2^-64 to the bit, which the element pass computes
    // instead: a threshold -fl(1 - x) is 0 or at least 2^-24 in magnitude (1 - x is exact near 1),
    // so every part of the small sums is a multiple of 2^-47 below 2^64 and scaling stays normal
    // and exact through every operation.
    for (var k = 1u; k <= J && !fast && !startsAtNegativeInf; k++) {
      let currentKey = scratch[keys + k - 1u];
      if (currentKey >= POS_INF_KEY) { break; }
      if (k > 1u) {
        let current = bitcast<f32>(keyBits(currentKey));
        let below = bitcast<f32>(keyBits(scratch[keys + k - 2u]));
        big = ddAdd(big, mulCount(k - 1u, twoSum(current * SCALE_DOWN, -below * SCALE_DOWN)));
      }
      scratch[gaps + 4u * k + 2u] = bitcast<u32>(big.x);
      scratch[gaps + 4u * k + 3u] = bitcast<u32>(big.y);
    }
    scratch[flagsAt(row)] = select(0u, ROW_FAST, fast);
  }
  for (var k = valuesDone; k <= J; k++) { scratch[values + k] = keyBits(scratch[keys + k - 1u]); }
  if (params.buckets > 0u) { writeEntries(row, keys, J); }
}
`;

/** Rows with at most this many targets keep their keys and gap sums in registers. */
export const REGISTER_TARGETS = 8;

/**
 * How the element pass finds a row's count of thresholds below an element: compared with keys
 * held in registers (up to {@link REGISTER_TARGETS} targets), or looked up in the row's bucket
 * table and searched within the bucket (any J); `dense` is `searched` on a table of fewer than
 * 8 buckets per threshold (capped by the row's width), whose entries hold a third key (see
 * denseEntryCount) so that fewer buckets need a search.
 */
export const TargetPath = { registers: 0, searched: 1, dense: 2 } as const;

/** One of {@link TargetPath}'s values. */
export type TargetPath = (typeof TargetPath)[keyof typeof TargetPath];

/** The path that serves rows of up to `maxTargets` targets at the least cost. */
export function targetPathFor(maxTargets: number): TargetPath {
  return maxTargets <= REGISTER_TARGETS ? TargetPath.registers : TargetPath.searched;
}

const registerIndices = Array.from({ length: REGISTER_TARGETS }, (_, i) => i);

/**
 * Loads key i and G[i + 1] of the row into registers (keys past J: a key nothing passes), and
 * t[i]'s value (0 for a key nothing passes: an element of count 0 takes key 0's, a finite 0 term).
 */
function registerLoads(): string {
  return registerIndices
    .map(
      (i) =>
        `  let key${i} = select(NO_THRESHOLD, scratch[keys + ${i}u], inRegisters && ${i}u < J);\n` +
        `  let threshold${i} = select(0u, keyBits(key${i}), key${i} < POS_INF_KEY);\n` +
        `  let gapHigh${i} = select(0u, scratch[gaps + ${4 * (i + 1)}u], inRegisters && WITH_LOSS && ${i}u < J);\n` +
        `  let gapLow${i} = select(0u, scratch[gaps + ${4 * (i + 1) + 1}u], inRegisters && WITH_LOSS && ${i}u < J);`,
    )
    .join('\n');
}

/** Whether each register key is below `key` (the keys are sorted: the first k are). */
function registerPasses(): string {
  return registerIndices.map((i) => `    let pass${i} = key${i} < key;`).join('\n');
}

/** The number of register keys below `key`. */
function registerCount(): string {
  return registerIndices.map((i) => `select(0u, 1u, pass${i})`).join(' + ');
}

/** Per register key, the elements above it so far (the suffix sums of the histogram of k). */
function registerAboveCounts(): string {
  return registerIndices.map((i) => `      above${i} += select(0u, 1u, pass${i});`).join('\n');
}

/** The histogram of k (k >= 1) from the counts above each key, added to the row's once per thread. */
function registerHistogram(): string {
  return registerIndices
    .map((i) => {
      const count = i + 1 < REGISTER_TARGETS ? `above${i} - above${i + 1}` : `above${i}`;
      return `    if (${i + 1}u <= J && ${count} > 0u) { atomicAdd(&status[hist + ${i + 1}u], ${count}); }`;
    })
    .join('\n');
}

/** Lines indented by two more spaces. */
function indent(code: string): string {
  return code
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** t[k - 1] and G[k] picked from the registers: those of the last key that passes. */
function registerSelects(): string {
  const pick = (name: string, of: (i: number) => string) =>
    `      var ${name} = ${of(0)};\n` +
    registerIndices
      .slice(1)
      .map((i) => `      ${name} = select(${name}, ${of(i)}, pass${i});`)
      .join('\n');
  return [
    pick('tBits', (i) => `threshold${i}`),
    pick('gapHigh', (i) => `gapHigh${i}`),
    pick('gapLow', (i) => `gapLow${i}`),
  ].join('\n');
}

/**
 * Pass 2, a thread per (row, segment): counts, loss terms, non-target gradients, histograms, and
 * the range check of every target when the targets were not validated on the host.
 */
export const ELEMENTS_WGSL = /* wgsl */ `
${COMMON_WGSL}

// How rows find their counts (see TargetPath): one path per pipeline, so that the others' code and
// arrays are compiled out. Every row of a call has at most as many targets as its path holds.
override TARGET_PATH: u32 = ${TargetPath.searched}u;
// Targets not validated on the host (GPU-resident): each one is checked where it is read.
override CHECK_RANGE: bool = false;
const NO_BAD: u32 = ${NO_BAD_TARGET}u;

// e if the target at e is outside [-1, C - 1] (t + 1 outside [0, C], one unsigned test; i32
// addition wraps), else NO_BAD.
fn badIndex(e: u32) -> u32 {
  return select(NO_BAD, e, u32(targets[e] + 1) > params.classes);
}

// The count of the row's sorted keys below key, by steps of halving powers of two from the
// largest <= J: the same number of steps for every element of a row, and no branch.
fn countBelowStepped(keys: u32, J: u32, firstStep: u32, key: u32) -> u32 {
  var position = 0u;
  for (var step = firstStep; step > 0u; step >>= 1u) {
    let probe = position + step;
    let below = probe <= J && scratch[keys + min(probe, J) - 1u] < key;
    position = select(position, probe, below);
  }
  return position;
}

// Adds k * (x - t) + G to a double-float sum (operands finite and below 2^39; a count of 0 with t
// and G of 0 adds zeros). x - t is exact as hi + lo (TwoSum); hi is split by clearing its low b
// mantissa bits (splitMask), where k < 2^b and b <= 12, so that k times either part is exact; the
// large parts (k * hi's top and G's high word) are added exactly (TwoSum), the small ones (below
// 2^(b-24) of the term) in float32 beside them.
fn addTerm(sum: ptr<function, vec2<f32>>, k: u32, splitMask: u32, xBits: u32, tBits: u32, gapHigh: u32,
           gapLow: u32) {
  let x = bitcast<f32>(xBits);
  let t = bitcast<f32>(tBits);
  let difference = twoSum(x, -t);
  let top = bitcast<f32>(bitcast<u32>(difference.x) & splitMask);
  let count = f32(i32(k)); // k < 2^31: the signed conversion, one SSE instruction on SwiftShader
  let main = twoSum(count * top, bitcast<f32>(gapHigh));
  let rest = (count * (difference.x - top) + count * difference.y) + (bitcast<f32>(gapLow) + main.y);
  let total = twoSum((*sum).x, main.x);
  *sum = vec2<f32>(total.x, (*sum).y + (total.y + rest));
}

// The mask that clears the low b mantissa bits, b the bit length of J (k <= J < 2^b).
fn splitMaskOf(J: u32) -> u32 {
  return ~((1u << (firstLeadingBit(max(J, 1u)) + 1u)) - 1u);
}

// count * gradScale, count >= 0, with the IEEE special cases of an infinite or NaN scale.
fn scaleNonNegative(count: u32, scaleBits: u32) -> u32 {
  let normal = bitcast<u32>(f32(i32(count)) * bitcast<f32>(scaleBits)); // count < 2^31
  let nan = (scaleBits & 0x007fffffu) != 0u || count == 0u;
  let special = select(INF_BITS | (scaleBits & 0x80000000u), NAN_BITS, nan);
  return select(normal, special, (scaleBits & INF_BITS) == INF_BITS);
}


@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let index = threadIndex(wid, groups, lid);
  let segments = params.segments;
  let row = index / segments;
  if (row >= params.rows) { return; }
  let segment = index - row * segments;
  let classes = params.classes;
  let rowStart = row * classes;
  let J = scratch[row * params.scratchStride];
  let keys = keysAt(row);
  let gaps = gapsAt(row);
  let hist = histAt(row);
  // The thread's target bits, a word per 32 of its elements (no per-element read of the row's bitmap).
  let targetWords = threadMasksAt(row) + segment * params.threadMaskWords;
  let firstStep = select(0u, 1u << firstLeadingBit(J), J > 0u);
  let splitMask = splitMaskOf(J);

  var scaleBits = 0u;
  if (WITH_GRAD) { scaleBits = gradScaleBits[row]; }
  var fastRow = false;
  if (WITH_LOSS) { fastRow = (scratch[flagsAt(row)] & ROW_FAST) != 0u; }
  var small = vec2<f32>(0.0, 0.0);
  // The largest magnitude's bits of the thread's elements (NaN's above +inf's): from 2^39 on (or
  // in a row that is not plain), the thread's sum is redone term by term below.
  var largest = 0u;
  var firstBad = NO_BAD;
  // The common case without branches (an implementation may run both sides of every branch):
  // finite operands below 2^39, added as exact double-float terms. Up to ${REGISTER_TARGETS}
  // targets, the row's keys and gap sums are held in registers; more are searched in memory.
  // (A loop that no lane enters costs nothing.)
  let inRegisters = TARGET_PATH == ${TargetPath.registers}u;
  let dense = TARGET_PATH == ${TargetPath.dense}u;
  // Per register key, the elements of the thread above it (for the histogram of k).
${registerIndices.map((i) => `  var above${i} = 0u;`).join('\n')}
${registerLoads()}
  var dR = segment;
  for (var word = targetWords; inRegisters && dR < classes; word++) {
    let targetBits = scratch[word];
    let stop = min(classes, dR + 32u * segments);
    for (var bit = 1u; dR < stop; bit <<= 1u) {
      let d = dR;
      dR += segments;
      let e = rowStart + d;
      if (CHECK_RANGE) { firstBad = min(firstBad, badIndex(e)); }
      let isTarget = (targetBits & bit) != 0u;
      let xBits = inputBits[e];
      let key = select(elementKey(xBits), 0u, isTarget);
${indent(registerPasses())}
      let k = ${registerCount()};
      if (WITH_GRAD) {
        grad[e] = select(scaleNonNegative(k, scaleBits), 0u, isTarget);
${indent(registerAboveCounts())}
      }
      if (WITH_LOSS) {
        largest = max(largest, xBits & 0x7fffffffu);
${indent(registerSelects())}
        addTerm(&small, k, splitMask, xBits, tBits, gapHigh, gapLow);
      }
    }
  }
  if (WITH_GRAD && inRegisters) {
${registerHistogram()}
  }
  let table = tableOf(row);
  let values = valuesAt(row);
  // Whether an element's count needs a search (see entryNeedsSearch): its gradient and histogram
  // count are left to the loop below, which also redoes the thread's loss terms in order.
  var searchAny = false;
  var dS = segment;
  for (var word = targetWords; !inRegisters && dS < classes; word++) {
    let targetBits = scratch[word];
    let stop = min(classes, dS + 32u * segments);
    for (var bit = 1u; dS < stop; bit <<= 1u) {
      let d = dS;
      dS += segments;
      let e = rowStart + d;
      if (CHECK_RANGE) { firstBad = min(firstBad, badIndex(e)); }
      let isTarget = (targetBits & bit) != 0u;
      let xBits = inputBits[e];
      let key = select(elementSignedKey(xBits), SIGNED_NAN_KEY, isTarget);
      let entry = bucketEntry(table, key, xBits);
      var k = select(entryCount(entry, key), denseEntryCount(entry, key), dense);
      var search = entryNeedsSearch(entry, key);
      if (dense) {
        // On a dense table an element of a mixed bucket searches the row's keys here, in a loop
        // that no lane of a SIMD group enters unless one of its elements needs it, and the thread
        // is not redone. (countBelowStepped's search, on the signed key this loop already holds:
        // it would need the unsigned one, computed for every element.)
        k = select(k, 0u, search);
        for (var step = select(0u, firstStep, search); step > 0u; step >>= 1u) {
          let probe = k + step;
          k = select(k, probe, probe <= J && signedKey(scratch[keys + min(probe, J) - 1u]) < key);
        }
        search = false;
      }
      searchAny = searchAny | search;
      if (WITH_GRAD) {
        grad[e] = select(scaleNonNegative(k, scaleBits), 0u, isTarget);
        atomicAdd(&status[hist + k], select(1u, 0u, search));
      }
      if (WITH_LOSS) {
        largest = max(largest, xBits & 0x7fffffffu);
        // An empty bucket's entry holds what its count reads; only elements of buckets with keys
        // read by count (a branch that SIMD lanes of empty buckets skip).
        // Most buckets of a dense table hold keys: there every element reads by count (dense is
        // a pipeline constant, so no branch is left).
        var term = entry.yzw;
        if (dense || !entryIsEmpty(entry)) {
          let g = gaps + 4u * k;
          term = vec3<u32>(scratch[values + k], scratch[g], scratch[g + 1u]);
        }
        addTerm(&small, k, splitMask, xBits, term.x, term.y, term.z);
      }
    }
  }
  // A thread that met an element whose count needs a search starts again: every element's count
  // exact (searched where needed), the gradient and histogram of those elements, and its loss terms
  // in the same order as above.
  if (searchAny) { small = vec2<f32>(0.0, 0.0); }
  for (var d = segment; searchAny && d < classes; d += segments) {
    if (isTargetClass(row, d)) { continue; }
    let e = rowStart + d;
    let xBits = inputBits[e];
    let key = elementSignedKey(xBits);
    let entry = bucketEntry(table, key, xBits);
    var k = select(entryCount(entry, key), denseEntryCount(entry, key), dense);
    if (entryNeedsSearch(entry, key)) {
      k = countBelowStepped(keys, J, firstStep, elementKey(xBits));
      if (WITH_GRAD) {
        grad[e] = scaleNonNegative(k, scaleBits);
        atomicAdd(&status[hist + k], 1u);
      }
    }
    if (WITH_LOSS) {
      let g = gaps + 4u * k;
      addTerm(&small, k, splitMask, xBits, scratch[values + k], scratch[g], scratch[g + 1u]);
    }
  }

  if (CHECK_RANGE && firstBad != NO_BAD) { atomicMin(&status[0], params.firstElement + firstBad); }
  var big = vec2<f32>(0.0, 0.0);
  var sawInf = false;
  // A thread that met an element from 2^39 on (infinite, NaN; or any, in a row that is not plain)
  // starts again: its plain terms (counted, finite operands below 2^39) in the same order as above,
  // then the rest term by term: infinities are flagged, operands from 2^39 on are added exactly
  // scaled by 2^-64 to the big sum.
  let anySpecial = WITH_LOSS && (!fastRow || largest >= BIG_OPERAND);
  if (anySpecial) { small = vec2<f32>(0.0, 0.0); }
  for (var d = segment; anySpecial && fastRow && d < classes; d += segments) {
    let xBits = inputBits[rowStart + d];
    if (isTargetClass(row, d) || (xBits & 0x7fffffffu) >= BIG_OPERAND) { continue; }
    let k = countBelowStepped(keys, J, firstStep, elementKey(xBits));
    let g = gaps + 4u * k;
    addTerm(&small, k, splitMask, xBits, scratch[values + k], scratch[g], scratch[g + 1u]);
  }
  for (var d = segment; anySpecial && d < classes; d += segments) {
    let xBits = inputBits[rowStart + d];
    if (isTargetClass(row, d)) { continue; }
    let k = countBelowStepped(keys, J, firstStep, inputKey(xBits));
    if (k == 0u || (fastRow && (xBits & 0x7fffffffu) < BIG_OPERAND)) { continue; }
    if (xBits == INF_BITS || scratch[keys] == NEG_INF_KEY) {
      sawInf = true;
      continue;
    }
    let x = bitcast<f32>(xBits);
    let t = bitcast<f32>(keyBits(scratch[keys + k - 1u]));
    let lowest = abs(bitcast<f32>(keyBits(scratch[keys])));
    let g = gaps + 4u * k;
    if (max(max(abs(x), abs(t)), lowest) < bitcast<f32>(BIG_OPERAND)) {
      let gap = vec2<f32>(bitcast<f32>(scratch[g]), bitcast<f32>(scratch[g + 1u]));
      small = ddAdd(small, ddAdd(mulCount(k, twoSum(x, -t)), gap));
    } else {
      // (A plain row's big gap sums are its small ones scaled by 2^-64, to the bit: see the prep.)
      var gap = vec2<f32>(bitcast<f32>(scratch[g]), bitcast<f32>(scratch[g + 1u])) * SCALE_DOWN;
      if (!fastRow) { gap = vec2<f32>(bitcast<f32>(scratch[g + 2u]), bitcast<f32>(scratch[g + 3u])); }
      big = ddAdd(big, ddAdd(mulCount(k, twoSum(x * SCALE_DOWN, -t * SCALE_DOWN)), gap));
    }
  }
  if (WITH_LOSS) {
    var bigHalf = bitcast<vec2<u32>>(big);
    if (sawInf) { bigHalf = vec2<u32>(INF_BITS, 0u); }
    partials[index] = vec4<u32>(bitcast<vec2<u32>>(twoSum(small.x, small.y)), bigHalf);
  }
}
`;

/** Pass 3, a thread per row: the row's sums in segment order, and the targets' gradients. */
export const FINISH_WGSL = /* wgsl */ `
${COMMON_WGSL}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = threadIndex(wid, groups, lid);
  if (row >= params.rows) { return; }
  // The value of the first bad target, once the chunk that holds it has been checked.
  if (row == 0u && params.checkRange != 0u) {
    let bad = atomicLoad(&status[0]);
    if (bad >= params.firstElement && bad - params.firstElement < params.rows * params.classes) {
      atomicStore(&status[1], bitcast<u32>(targets[bad - params.firstElement]));
    }
  }
  let J = scratch[row * params.scratchStride];
  if (WITH_LOSS) {
    var small = vec2<f32>(0.0, 0.0);
    var big = vec2<f32>(0.0, 0.0);
    var sawInf = false;
    let first = row * params.segments;
    for (var s = 0u; s < params.segments; s++) {
      let p = partials[first + s];
      small = ddAdd(small, bitcast<vec2<f32>>(p.xy));
      if (p.z == INF_BITS) {
        sawInf = true;
      } else {
        big = ddAdd(big, bitcast<vec2<f32>>(p.zw));
      }
    }
    var bigHalf = bitcast<vec2<u32>>(big);
    if (sawInf) { bigHalf = vec2<u32>(INF_BITS, 0u); }
    rowTotals[row] = vec4<u32>(bitcast<vec2<u32>>(small), bigHalf);
  }
  if (WITH_GRAD && J > 0u) {
    let rowStart = row * params.classes;
    let keys = keysAt(row);
    let hist = histAt(row);
    let mask = maskAt(row);
    // Suffix sums: hist[m] becomes the number of non-targets whose count exceeds m.
    var above = 0u;
    for (var m = J + 1u; m > 0u; m--) {
      let h = atomicLoad(&status[hist + m - 1u]);
      atomicStore(&status[hist + m - 1u], above);
      above += h;
    }
    // Target j is passed by every non-target whose count exceeds the thresholds below t_j.
    for (var j = 0u; j < J; j++) {
      let y = targetClass(rowStart, j);
      let below = countBelow(keys, J, thresholdKey(inputBits[rowStart + y]));
      let passed = atomicLoad(&status[hist + below]);
      grad[rowStart + y] = bitcast<u32>(bitcast<i32>(grad[rowStart + y]) - i32(passed));
    }
    let scaleBits = gradScaleBits[row];
    for (var j = 0u; j < J; j++) {
      let y = targetClass(rowStart, j);
      let word = mask + (y >> 5u);
      let bit = 1u << (y & 31u);
      // Each target class is scaled once (duplicates share the count).
      if ((scratch[word] & bit) != 0u) {
        scratch[word] &= ~bit;
        grad[rowStart + y] = scaleCount(bitcast<i32>(grad[rowStart + y]), scaleBits);
      }
    }
  }
}
`;

/**
 * The loss on the GPU, for `outputLocation: 'gpu-buffer'`: each row's double-float sums divided by
 * C (`perRow`, for `none`), or added in a fixed order (a strided share per thread, then a tree) and
 * divided by C or N·C (`total`, one workgroup), rounded to float32 once.
 */
export const OUTPUT_WGSL = /* wgsl */ `
const WG: u32 = ${LOSS_WORKGROUP_SIZE}u;
const INF_BITS: u32 = 0x7f800000u;
const SCALE_DOWN: f32 = 5.421010862427522e-20; // 2^-64
const SCALE_UP: f32 = 18446744073709551616.0; // 2^64

struct OutputParams {
  rows: u32,
  unused: u32,
  divisorHigh: f32, // the divisor (C or N·C) as a double-float
  divisorLow: f32,
}

@group(0) @binding(0) var<uniform> params: OutputParams;
@group(0) @binding(1) var<storage, read> rowTotals: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;

var<workgroup> partSmall: array<vec2<f32>, WG>;
var<workgroup> partBig: array<vec2<f32>, WG>;
var<workgroup> partInf: array<u32, WG>;

fn twoSum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

fn ddAdd(p: vec2<f32>, q: vec2<f32>) -> vec2<f32> {
  let se = twoSum(p.x, q.x);
  let lo = se.y + (p.y + q.y);
  let hi = se.x + lo;
  return vec2<f32>(hi, lo - (hi - se.x));
}

fn split(a: f32) -> vec2<f32> {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}

fn twoProduct(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let sa = split(a);
  let sb = split(b);
  let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
  return vec2<f32>(p, e);
}

// a / d for double-floats: a quotient and one correction from the exact residual (WGSL's
// division is not correctly rounded; the correction makes up for it).
fn ddDivide(a: vec2<f32>, d: vec2<f32>) -> f32 {
  let q = a.x / d.x;
  let product = ddAdd(twoProduct(q, d.x), vec2<f32>(q * d.y, 0.0));
  let residual = ddAdd(a, -product);
  return q + residual.x / d.x;
}

fn finalBits(small: vec2<f32>, big: vec2<f32>, sawInf: bool) -> u32 {
  if (sawInf) { return INF_BITS; }
  let divisor = vec2<f32>(params.divisorHigh, params.divisorLow);
  if (big.x == 0.0) { return bitcast<u32>(ddDivide(small, divisor)); }
  let scaled = ddDivide(ddAdd(big, small * SCALE_DOWN), divisor);
  if (scaled >= SCALE_UP) { return INF_BITS; }
  return bitcast<u32>(scaled * SCALE_UP);
}

@compute @workgroup_size(WG)
fn perRow(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * groups.x + wid.x) * WG + lid;
  if (row >= params.rows) { return; }
  let t = rowTotals[row];
  output[row] = finalBits(bitcast<vec2<f32>>(t.xy), bitcast<vec2<f32>>(t.zw), t.z == INF_BITS);
}

@compute @workgroup_size(WG)
fn total(@builtin(local_invocation_index) lid: u32) {
  var small = vec2<f32>(0.0, 0.0);
  var big = vec2<f32>(0.0, 0.0);
  var sawInf = 0u;
  for (var row = lid; row < params.rows; row += WG) {
    let t = rowTotals[row];
    small = ddAdd(small, bitcast<vec2<f32>>(t.xy));
    if (t.z == INF_BITS) { sawInf = 1u; } else { big = ddAdd(big, bitcast<vec2<f32>>(t.zw)); }
  }
  partSmall[lid] = small;
  partBig[lid] = big;
  partInf[lid] = sawInf;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      partSmall[lid] = ddAdd(partSmall[lid], partSmall[lid + stride]);
      partBig[lid] = ddAdd(partBig[lid], partBig[lid + stride]);
      partInf[lid] = partInf[lid] | partInf[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) { output[0] = finalBits(partSmall[0], partBig[0], partInf[0] != 0u); }
}
`;
