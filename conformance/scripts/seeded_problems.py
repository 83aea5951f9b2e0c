"""The seeded problems of pytorch-large.json, generated bit for bit as conformance/src/seededProblem.ts does.

Both sides build every value from 32-bit words of one counter-based generator (`seeded_words`: the
lowbias32 integer hash of key + i * 0x9E3779B9, all arithmetic modulo 2**32) with operations that are
exact in double precision, so the Python and TypeScript problems are identical without storing them.
A recipe (JSON) names: batch, classes, dtype, seed, values ('spread' or 'ties'), targets (a list of J
per row, cycled, or {"from", "to"}), borderline (placements per row). See seededProblem.ts.
"""

import numpy as np

GOLDEN = 0x9E3779B9
MASK = 0xFFFFFFFF


def hash32(x):
    """lowbias32 on a uint32 numpy array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint32)
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    x = x ^ (x >> np.uint32(16))
    return x


def seeded_words(seed, count):
    """`count` 32-bit words of stream `seed`: hash32((hash32(seed) + i * GOLDEN) mod 2**32)."""
    key = int(hash32(np.array([seed & MASK], dtype=np.uint32))[0])
    i = np.arange(count, dtype=np.uint64)
    return hash32(((np.uint64(key) + i * np.uint64(GOLDEN)) & np.uint64(MASK)).astype(np.uint32))


def scaled_index(words, size):
    """floor(word * size / 2**32): a uniform index in [0, size)."""
    return ((words.astype(np.uint64) * np.uint64(size)) >> np.uint64(32)).astype(np.int64)


def spread_values(words, extra, dtype):
    """±(1 + m / 2**23) * 2**-e with e in 0..7 (float32), or a 52-bit mantissa from two words (float64)."""
    sign = np.where(words >> np.uint32(31), -1.0, 1.0)
    exponent = ((words >> np.uint32(23)) & np.uint32(7)).astype(np.float64)
    low = (words & np.uint32(0x7FFFFF)).astype(np.float64)
    if dtype == 'float32':
        fraction = low / 2.0**23
    else:
        fraction = (low * 2.0**29 + (extra >> np.uint32(3)).astype(np.float64)) / 2.0**52
    return sign * (1.0 + fraction) * np.exp2(-exponent)


def next_toward(value, up, scalar):
    return np.nextafter(scalar(value), scalar(np.inf if up else -np.inf))


def make_problem(recipe):
    """(x [N, C] in the recipe's dtype, target [N, C] int64, J per row) of a recipe."""
    batch, classes, dtype, seed = recipe['batch'], recipe['classes'], recipe['dtype'], recipe['seed']
    scalar = np.float32 if dtype == 'float32' else np.float64
    size = batch * classes
    words = seeded_words(seed * 8 + 1, size)
    if recipe['values'] == 'ties':
        x = ((words % np.uint32(5)).astype(np.float64) - 2.0) * 0.5
    else:
        extra = seeded_words(seed * 8 + 2, size) if dtype == 'float64' else None
        x = spread_values(words, extra, dtype)
    x = x.astype(scalar).reshape(batch, classes)
    spec = recipe['targets']
    if isinstance(spec, list):
        counts = np.array([min(spec[n % len(spec)], classes) for n in range(batch)], dtype=np.int64)
    else:
        span = spec['to'] - spec['from'] + 1
        counts = np.minimum(spec['from'] + scaled_index(seeded_words(seed * 8 + 3, batch), span), classes)
    target_words = seeded_words(seed * 8 + 4, size).reshape(batch, classes)
    target = scaled_index(target_words, classes)
    after = scaled_index(target_words, classes + 1) - 1  # anything in [-1, C-1] after the first -1
    column = np.arange(classes)[None, :]
    j = counts[:, None]
    target = np.where(column < j, target, np.where(column == j, -1, after))
    placements = recipe.get('borderline', 0)
    if placements:
        bw = seeded_words(seed * 8 + 5, batch * placements * 2)
        for n in range(batch):
            jn = int(counts[n])
            if jn == 0:
                continue
            firsts = set(int(v) for v in target[n, :jn])
            for k in range(placements):
                word_j = bw[(n * placements + k) * 2: (n * placements + k) * 2 + 1]
                word_p = bw[(n * placements + k) * 2 + 1: (n * placements + k) * 2 + 2]
                y = int(target[n, int(scaled_index(word_j, jn)[0])])
                a = scalar(1) - x[n, y]
                if a == 0:
                    continue
                p = int(scaled_index(word_p, classes)[0])
                if p in firsts:
                    continue
                variant = k % 3
                x[n, p] = -a if variant == 0 else next_toward(-a, variant == 1, scalar)
    return x, target, counts


def make_grad_output(recipe, reduction):
    """The grad_output of a recipe's case: ±[0.5, 1) per sample ('none') or one scalar."""
    batch, dtype = recipe['batch'], recipe['dtype']
    count = batch if reduction == 'none' else 1
    words = seeded_words(recipe['seed'] * 8 + 6, count)
    sign = np.where(words >> np.uint32(31), -1.0, 1.0)
    values = sign * (1.0 + (words & np.uint32(0x7FFFFF)).astype(np.float64) / 2.0**23) * 0.5
    scalar = np.float32 if dtype == 'float32' else np.float64
    return values.astype(scalar).reshape((batch,) if reduction == 'none' else ())
