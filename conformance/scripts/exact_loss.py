"""DESIGN §2's values computed exactly, independently of torch and of the TypeScript reference.

The counted pairs are decided in the input's precision exactly as PyTorch decides them
(``fl(fl(1 - x[y]) + x[d]) > 0``, numpy arithmetic in float32 for float32 data); the sums of the
counted terms ``fl(1 - x[y]) + x[d]`` are exact rational numbers (``fractions.Fraction``, built from
integer mantissas, so no floating-point addition is involved); the gradient is ``count * g *
grad_output`` with ``g = 1/C`` or ``1/(N*C)`` exactly; and every result is rounded ONCE to the dtype
(round to nearest, ties to even, overflow to infinity).
"""

import math
from fractions import Fraction

import numpy as np

NP_DTYPES = {'float32': np.float32, 'float64': np.float64}
_F32_OVERFLOW = Fraction(2**128) - Fraction(2**103)  # halfway between FLT_MAX and 2^128


def round_to(value, dtype):
    """A Fraction (or a non-finite float) rounded once to `dtype`, returned as a Python float."""
    if isinstance(value, float):
        return value
    if value == 0:
        return 0.0
    sign = 1 if value > 0 else -1
    if dtype == 'float64':
        try:
            return float(value)  # Fraction -> float is correctly rounded
        except OverflowError:
            return sign * math.inf
    if abs(value) >= _F32_OVERFLOW:
        return sign * math.inf
    try:
        guess = np.float32(min(float(abs(value)), float(np.finfo(np.float32).max)))
    except OverflowError:
        guess = np.finfo(np.float32).max
    target = abs(value)
    candidates = {float(guess), float(np.nextafter(guess, np.float32(np.inf))),
                  float(np.nextafter(guess, np.float32(0)))}
    best = None
    for c in sorted(candidates):
        if not math.isfinite(c):
            continue
        distance = abs(Fraction(c) - target)
        even = int(np.float32(c).view(np.uint32)) % 2 == 0
        key = (distance, not even)
        if best is None or key < best[0]:
            best = (key, c)
    return sign * best[1]


def exact_dot(counts, values):
    """sum(counts[i] * values[i]) exactly, for integer counts and finite float values (numpy arrays)."""
    counts = np.asarray(counts, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    keep = (counts != 0) & (values != 0)
    counts, values = counts[keep], values[keep]
    if values.size == 0:
        return Fraction(0)
    mantissa, exponent = np.frexp(values)  # values = mantissa * 2**exponent, 0.5 <= |mantissa| < 1
    whole = np.ldexp(mantissa, 53).astype(np.int64)  # exact: |whole| < 2**53
    high = whole >> 26  # floor division: whole = high * 2**26 + low, 0 <= low < 2**26
    low = whole - (high << 26)
    order = np.argsort(exponent, kind='stable')
    exponent, counts, high, low = exponent[order], counts[order], high[order], low[order]
    starts = np.concatenate(([0], np.nonzero(np.diff(exponent))[0] + 1))
    # |count * high| < 2**48 for counts < 2**21; a group of fewer than 2**14 such terms fits int64.
    if counts.size and int(np.max(np.abs(counts))) >= 2**21:
        raise ValueError('count too large for exact_dot')
    total = Fraction(0)
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(exponent)
        for chunk in range(start, end, 1 << 13):
            stop = min(end, chunk + (1 << 13))
            h = int(np.sum(counts[chunk:stop] * high[chunk:stop]))
            lo = int(np.sum(counts[chunk:stop] * low[chunk:stop]))
            total += Fraction((h << 26) + lo) * Fraction(2) ** (int(exponent[start]) - 53)
    return total


def row_sums_and_counts(x, y, dtype):
    """Per row: the exact hinge sum S_n (a Fraction, or +inf) and the integer count of each class
    (+1 per counted pair at the non-target, -1 at the target). x, y: [N, C] arrays."""
    scalar = NP_DTYPES[dtype]
    x = np.asarray(x, dtype=scalar)
    batch, classes = x.shape
    sums = []
    counts = np.zeros((batch, classes), dtype=np.int64)
    with np.errstate(all='ignore'):
        for n in range(batch):
            row = np.asarray(y[n])
            stop = np.nonzero(row < 0)[0]
            j_count = int(stop[0]) if len(stop) else classes
            targets = row[:j_count].astype(np.int64)
            others = np.ones(classes, dtype=bool)
            others[targets] = False
            positive = np.zeros(classes, dtype=np.int64)
            a_values, a_counts = [], []
            for t in targets:
                a = scalar(1) - x[n, t]  # rounded to the dtype, as PyTorch does
                counted = others & ((a + x[n]) > 0)  # the decision in the dtype
                k = int(counted.sum())
                positive += counted
                counts[n, t] -= k
                a_values.append(float(a))
                a_counts.append(k)
            counts[n] += positive
            a_values = np.asarray(a_values, dtype=np.float64)
            a_counts = np.asarray(a_counts, dtype=np.int64)
            used_a = a_values[a_counts > 0]
            used_x = x[n][positive > 0].astype(np.float64)
            if not (np.all(np.isfinite(used_a)) and np.all(np.isfinite(used_x))):
                # A counted term is > 0, so a non-finite one is +inf (NaN terms never count).
                sums.append(math.inf)
            else:
                sums.append(exact_dot(positive, x[n].astype(np.float64)) + exact_dot(a_counts, a_values))
    return sums, counts


def exact_values(x, y, dtype, reduction, grad_output):
    """(output, grad_input) of DESIGN §2, each value rounded once to `dtype` (float64 numpy arrays of
    the PyTorch shapes; grad_input None without grad_output)."""
    x = np.asarray(x, dtype=NP_DTYPES[dtype])
    rank = x.ndim
    classes = 1 if rank == 0 else x.shape[-1]
    batch = x.shape[0] if rank == 2 else 1
    sums, counts = row_sums_and_counts(x.reshape(batch, classes), np.asarray(y).reshape(batch, classes), dtype)

    def scaled(total, divisor):
        return total if isinstance(total, float) else total / divisor

    if reduction == 'none':
        output = np.array([round_to(scaled(s, classes), dtype) for s in sums], dtype=np.float64)
        if rank < 2:
            output = output.reshape(())
    else:
        if any(isinstance(s, float) for s in sums):
            total = math.inf
        else:
            total = sum(sums, Fraction(0))
        if reduction == 'mean' and batch == 0:
            value = math.nan
        else:
            value = round_to(scaled(total, classes * (batch if reduction == 'mean' else 1)), dtype)
        output = np.array(value, dtype=np.float64)
    grad = None
    if grad_output is not None:
        g = Fraction(1, max(batch * classes, 1)) if reduction == "mean" else Fraction(1, classes)
        go = np.asarray(grad_output, dtype=np.float64).reshape(-1)
        grad = np.zeros((batch, classes), dtype=np.float64)
        for n in range(batch):
            scale = float(go[n] if reduction == 'none' else go[0])
            for c in range(classes):
                count = int(counts[n, c])
                if math.isfinite(scale):
                    grad[n, c] = round_to(count * g * Fraction(scale), dtype)
                else:
                    grad[n, c] = count * float(g) * scale  # 0 * inf is NaN, as in PyTorch
        grad = grad.reshape(x.shape)
    return output, grad
