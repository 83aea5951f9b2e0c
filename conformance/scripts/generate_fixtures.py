#!/usr/bin/env python3
"""Writes the mlml-golden-v1 fixtures of @mlml/conformance from real PyTorch.

Run with Debian's python3-torch (not a virtualenv's python):

    /usr/bin/python3 conformance/scripts/generate_fixtures.py           # (re)write fixtures/
    /usr/bin/python3 conformance/scripts/generate_fixtures.py --check   # compare, exit 1 on change

Deterministic: the data comes from numpy's PCG64 seeded with SEED, PyTorch only computes, and the
JSON is written by hand in a fixed layout, so regenerating gives byte-identical files.

Every value case also gets DESIGN §2's exact values (`expected.exact`, computed by exact_loss.py
independently of torch: float32 margin decisions as PyTorch rounds them, sums as exact fractions,
rounded once), and PyTorch's numbers must agree with them within CHECK_RTOL of the sample's scale;
the script stops otherwise. That guards against PyTorch 1.13's float32 gradient drift (it
accumulates ``+= g`` in float32, which drifts when one entry receives thousands of counted pairs)
leaking into the goldens. pytorch-large.json holds seeded problems (seeded_problems.py, generated
bit for bit alike by conformance/src/seededProblem.ts) with PyTorch's outputs and checksums of its
gradient's counts. edge-cases.json is written by hand; this script adds its exact values.
The files record the PyTorch build as it reports itself (torch.__version__, git_version) and the
Debian package it came from.
"""

import hashlib
import json
import math
from fractions import Fraction
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exact_loss import exact_values, round_to, row_sums_and_counts  # noqa: E402
from seeded_problems import make_grad_output, make_problem  # noqa: E402

SEED = 1129
SCRIPT = 'conformance/scripts/generate_fixtures.py'
OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures'))
NP_DTYPES = {'float32': np.float32, 'float64': np.float64}
TORCH_DTYPES = {'float32': torch.float32, 'float64': torch.float64}
# How far PyTorch may be from the exact value, relative to the sample's scale (see module docstring).
CHECK_RTOL = {'float32': 2e-6, 'float64': 1e-12}
REDUCTIONS = ('none', 'mean', 'sum')

# --check: regenerate in memory and compare with the committed files (exit 1 if any differs).
CHECK_ONLY = '--check' in sys.argv[1:]
CHANGED = []

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
warnings.simplefilter('ignore')  # size_average/reduce deprecation warnings are expected


# ---------------------------------------------------------------------------------------------------
# JSON writing (by hand, so float formatting is exact and the layout is stable)


class Raw:
    """A JSON token written verbatim."""

    __slots__ = ('text',)

    def __init__(self, text):
        self.text = text


def float_token(value, dtype):
    """A float as a JSON token: the shortest decimal that reads back to the same value in `dtype`."""
    v = float(value)
    if math.isnan(v):
        return '"NaN"'
    if math.isinf(v):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    if dtype == 'float32':
        f = np.float32(v)
        if float(f) != v:
            raise ValueError(f'{v!r} is not a float32 value')
        text = str(f)
        # Read back as JSON.parse does (to a double), then to float32: must be the same float32.
        if np.float32(float(text)) != f or math.copysign(1, float(text)) != math.copysign(1, v):
            text = repr(v)
        return text
    return repr(v)


def dump(value):
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return '{' + ', '.join(f'"{k}": {dump(v)}' for k, v in value.items()) + '}'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(dump(v) for v in value) + ']'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
    raise TypeError(f'cannot write {type(value).__name__}')


def float_tensor(array, dtype):
    array = np.asarray(array, dtype=NP_DTYPES[dtype])
    return {
        'shape': [int(s) for s in array.shape],
        'data': Raw('[' + ', '.join(float_token(v, dtype) for v in array.reshape(-1)) + ']'),
    }


def int_tensor(array):
    array = np.asarray(array, dtype=np.int64)
    return {'shape': [int(s) for s in array.shape], 'data': [int(v) for v in array.reshape(-1)]}


def torch_build():
    """The PyTorch build that computed the goldens, as it reports itself, and the Debian package it came
    from (Debian's python3-torch 1.13.1 reports torch.__version__ '1.13.0a0' and git_version 'Unknown')."""
    package = 'unknown'
    try:
        import subprocess
        package = subprocess.run(['dpkg-query', '-W', '-f', '${Package} ${Version}', 'python3-torch'],
                                 capture_output=True, text=True, check=True).stdout.strip() or 'unknown'
    except (OSError, subprocess.CalledProcessError):
        pass
    return {'torch_version': torch.__version__, 'git_version': torch.version.git_version, 'package': package,
            'numpy_version': np.__version__}


def generator_header(generator_name):
    return {'name': generator_name, 'version': torch.__version__, 'script': SCRIPT, 'seed': SEED,
            'build': torch_build()}


def write_file(name, generator_name, cases):
    ids = [c['id'] for c in cases]
    if len(set(ids)) != len(ids):
        raise SystemExit(f'{name}: duplicate case ids')
    header = {'format': 'mlml-golden-v1', 'generator': generator_header(generator_name)}
    lines = ['{', f'  "format": {dump(header["format"])},', f'  "generator": {dump(header["generator"])},']
    lines.append('  "cases": [')
    lines.append(',\n'.join('    ' + dump(c) for c in cases))
    lines.append('  ]')
    lines.append('}')
    path = os.path.join(OUT_DIR, name)
    text = '\n'.join(lines) + '\n'
    if CHECK_ONLY:
        with open(path, encoding='utf-8') as f:
            same = f.read() == text
        print(f'{name}: {"identical" if same else "DIFFERS from the regenerated file"}')
        if not same:
            CHANGED.append(name)
        return
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'{name}: {len(cases)} cases, {os.path.getsize(path)} bytes')


# ---------------------------------------------------------------------------------------------------
# The independent float64 recomputation


def check_close(case_id, what, actual, expected, dtype, sample_size):
    """PyTorch's values against the exact ones: non-finite exactly, finite within the sample's scale."""
    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    e = np.asarray(expected, dtype=np.float64).reshape(-1)
    if a.shape != e.shape:
        raise SystemExit(f'{case_id}: {what} has {a.size} values, the recomputation {e.size}')
    rtol = CHECK_RTOL[dtype]
    for start in range(0, max(e.size, 1), max(sample_size, 1)):
        block_e = e[start:start + sample_size]
        block_a = a[start:start + sample_size]
        finite = np.isfinite(block_e)
        scale = float(np.max(np.abs(block_e[finite]))) if finite.any() else 0.0
        for i, (av, ev) in enumerate(zip(block_a, block_e)):
            if not math.isfinite(ev):
                same = (math.isnan(av) and math.isnan(ev)) or av == ev
                if not same:
                    raise SystemExit(f'{case_id}: {what}[{start + i}] PyTorch {av!r}, exact {ev!r}')
            elif not abs(av - ev) <= rtol * max(abs(ev), scale) + 1e-300:
                raise SystemExit(
                    f'{case_id}: {what}[{start + i}] PyTorch {av!r} differs from the exact {ev!r} by '
                    f'{abs(av - ev) / max(abs(ev), scale, 1e-300):.3g} of the scale (limit {rtol}); '
                    'pick a shape where PyTorch float32 accumulation stays accurate'
                )


# ---------------------------------------------------------------------------------------------------
# Running PyTorch


def torch_kwargs(options):
    kwargs = {}
    if 'size_average' in options or 'reduce' in options:
        kwargs['size_average'] = options.get('size_average')
        kwargs['reduce'] = options.get('reduce')
    if 'reduction' in options:
        kwargs['reduction'] = options['reduction']
    return kwargs


def resolved_reduction(options):
    size_average = options.get('size_average')
    reduce = options.get('reduce')
    if size_average is not None or reduce is not None:
        if reduce is False:
            return 'none'
        return 'sum' if size_average is False else 'mean'
    return options.get('reduction', 'mean')


def make_case(case_id, tags, dtype, x, y, options=None, grad_output='ones'):
    """Runs PyTorch on one case, checks it against the recomputation, returns the JSON case."""
    options = dict(options or {})
    scalar = NP_DTYPES[dtype]
    x = np.asarray(x, dtype=scalar)
    y = np.asarray(y, dtype=np.int64)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    yt = torch.tensor(y, dtype=torch.long)
    out = F.multilabel_margin_loss(xt, yt, **torch_kwargs(options))
    reduction = resolved_reduction(options)
    if isinstance(grad_output, str) and grad_output == 'ones':
        go = np.ones(tuple(out.shape), dtype=scalar)
    else:
        go = np.asarray(grad_output, dtype=scalar).reshape(tuple(out.shape))
    out.backward(torch.tensor(go, dtype=TORCH_DTYPES[dtype]))
    output = out.detach().numpy()
    grad = xt.grad.detach().numpy()

    exact_output, exact_grad = exact_values(x, y, dtype, reduction, go)
    if tuple(exact_output.shape) != tuple(output.shape):
        raise SystemExit(f'{case_id}: output shape {output.shape}, expected {exact_output.shape}')
    classes = 1 if x.ndim == 0 else x.shape[-1]
    check_close(case_id, 'output', output, exact_output, dtype, 1)
    check_close(case_id, 'grad_input', grad, exact_grad, dtype, classes)
    return {
        'id': case_id,
        'tags': list(tags),
        'dtype': dtype,
        'input': float_tensor(x, dtype),
        'target': int_tensor(y),
        'options': options,
        'grad_output': float_tensor(go, dtype),
        'expected': {
            'output': float_tensor(output, dtype),
            'grad_input': float_tensor(grad, dtype),
            'exact': {'output': float_tensor(exact_output, dtype), 'grad_input': float_tensor(exact_grad, dtype)},
        },
    }


ERROR_PATTERNS = {
    'INVALID_REDUCTION': 'is not a valid value for reduction',
    'INVALID_SHAPE': 'Expected non-empty vector or matrix with optional 0-dim batch size',
    'TARGET_SHAPE_MISMATCH': "inconsistent size",
    'TARGET_OUT_OF_RANGE': "argument #2 'target' is out of range",
    'GRAD_OUTPUT_SHAPE_MISMATCH': 'Mismatch in shape',
}


def make_error_case(case_id, code, dtype, x, y, options=None, grad_output=None):
    """Runs PyTorch on a call it must refuse; the case expects our code for PyTorch's error."""
    options = dict(options or {})
    scalar = NP_DTYPES[dtype]
    x = np.asarray(x, dtype=scalar)
    y = np.asarray(y, dtype=np.int64)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    yt = torch.tensor(y, dtype=torch.long)
    try:
        out = F.multilabel_margin_loss(xt, yt, **torch_kwargs(options))
        if grad_output is not None:
            out.backward(torch.tensor(np.asarray(grad_output, dtype=scalar), dtype=TORCH_DTYPES[dtype]))
    except (RuntimeError, ValueError) as error:
        if ERROR_PATTERNS[code] not in str(error):
            raise SystemExit(f'{case_id}: PyTorch raised {error!r}, not the {code} error') from error
    else:
        raise SystemExit(f'{case_id}: PyTorch accepted a call expected to fail with {code}')
    case = {
        'id': case_id,
        'tags': ['error'],
        'dtype': dtype,
        'input': float_tensor(x, dtype),
        'target': int_tensor(y),
        'options': options,
    }
    if grad_output is not None:
        case['grad_output'] = float_tensor(grad_output, dtype)
    case['expected'] = {'error': {'code': code}}
    return case


# ---------------------------------------------------------------------------------------------------
# Data


def rng_for(name):
    """An independent stream per case family, so adding cases to one family leaves the others alone."""
    return np.random.default_rng([SEED, sum(ord(c) * 31**i for i, c in enumerate(name)) % (2**32)])


def target_row(rng, classes, pattern):
    """One target row: `valid` distinct prefix then -1s; `duplicates`; `neg-anywhere`; `after-neg`."""
    if pattern == 'valid':
        j = int(rng.integers(0, classes + 1))
        row = np.full(classes, -1)
        row[:j] = rng.permutation(classes)[:j]
        return row
    if pattern == 'duplicates':
        j = int(rng.integers(1, classes + 1))
        row = np.full(classes, -1)
        row[:j] = rng.integers(0, max(1, classes // 2) + 1, size=j) % classes
        return row
    if pattern == 'neg-anywhere':
        row = rng.integers(-1, classes, size=classes)
        return row
    if pattern == 'after-neg':
        row = rng.integers(0, classes, size=classes)
        row[int(rng.integers(0, classes))] = -1
        return row
    raise ValueError(pattern)


def targets(rng, batch, classes, pattern):
    return np.stack([target_row(rng, classes, pattern) for _ in range(batch)])


def reference_cases():
    """PyTorch's own test inputs: common_nn's MultiLabelMarginLoss cases, no-batch-dim, OpInfo."""
    cases = []
    for dtype in ('float64', 'float32'):
        rng = rng_for('common_nn' + dtype)
        # common_nn: multilabelmarginloss_0d_no_reduce_test, _1d_no_reduce, _index_neg, _no_reduce
        cases.append(make_case(f'common_nn/MultiLabelMarginLoss_0d_no_reduce/{dtype}', ['pytorch-test'],
                               dtype, rng.standard_normal(()), np.zeros((), dtype=np.int64), {'reduction': 'none'}))
        cases.append(make_case(f'common_nn/MultiLabelMarginLoss_1d_no_reduce/{dtype}', ['pytorch-test'], dtype,
                               rng.standard_normal(10), np.floor(rng.random(10) * 10), {'reduction': 'none'}))
        index_neg = np.maximum(np.floor((rng.random((5, 10)) - 0.5) * 20), -1)
        cases.append(make_case(f'common_nn/MultiLabelMarginLoss_index_neg/{dtype}', ['pytorch-test'], dtype,
                               rng.standard_normal((5, 10)), index_neg, {'reduction': 'none'}))
        cases.append(make_case(f'common_nn/MultiLabelMarginLoss_no_reduce/{dtype}', ['pytorch-test'], dtype,
                               rng.standard_normal((5, 10)), np.floor(rng.random((5, 10)) * 10),
                               {'reduction': 'none'}))
        # criterion_tests: MultiLabelMarginLoss 1d and default (5, 10), with sum too
        for reduction in ('mean', 'sum'):
            cases.append(make_case(f'common_nn/MultiLabelMarginLoss_1d/{reduction}/{dtype}', ['pytorch-test'],
                                   dtype, rng.standard_normal(10), np.floor(rng.random(10) * 10),
                                   {'reduction': reduction}))
            cases.append(make_case(f'common_nn/MultiLabelMarginLoss/{reduction}/{dtype}', ['pytorch-test'],
                                   dtype, rng.standard_normal((5, 10)), np.floor(rng.random((5, 10)) * 10),
                                   {'reduction': reduction}))
        # classification_criterion_no_batch_extra_info: input (4,), target [3, 0, -1, 1]
        for reduction in REDUCTIONS:
            cases.append(make_case(f'no_batch_dim/{reduction}/{dtype}', ['pytorch-test'], dtype,
                                   rng.standard_normal(4), [3, 0, -1, 1], {'reduction': reduction}))
        # OpInfo sample_inputs / reference_inputs_multilabel_margin_loss (S = 5, M = 10)
        samples = [
            ('scalar', rng.standard_normal(()), np.zeros((), dtype=np.int64)),
            ('vector', rng.standard_normal(5), rng.integers(0, 5, size=5)),
            ('matrix', rng.standard_normal((10, 5)), rng.integers(0, 5, size=(10, 5))),
            ('fixed-vector', rng.standard_normal(7), [2, 0, 6, -1, 4, -1, 6]),
            ('fixed-matrix', rng.standard_normal((4, 5)),
             [[4, -1, 0, -1, 2], [0, 0, 4, 1, 4], [-1, 3, -1, 1, 0], [4, 3, 2, 1, 0]]),
        ]
        for name, x, y in samples:
            cases.append(make_case(f'opinfo/{name}/default/{dtype}', ['pytorch-test'], dtype, x, y, {}))
            for reduction in REDUCTIONS:
                cases.append(make_case(f'opinfo/{name}/{reduction}/{dtype}', ['pytorch-test'], dtype, x, y,
                                       {'reduction': reduction}))
    return cases


def grad_output_for(rng, shape_out, kind):
    size = int(np.prod(shape_out)) if shape_out else 1
    if kind == 'ones':
        return np.ones(shape_out)
    if kind == 'random':
        return (rng.standard_normal(size) * 2).reshape(shape_out)
    raise ValueError(kind)


def random_cases():
    """Random batches: every reduction x dtype x target pattern, shapes of all ranks."""
    cases = []
    patterns = ('valid', 'duplicates', 'neg-anywhere', 'after-neg')
    for dtype in ('float32', 'float64'):
        for reduction in REDUCTIONS:
            for pattern in patterns:
                rng = rng_for(f'random/{dtype}/{reduction}/{pattern}')
                for k, (batch, classes) in enumerate([(1, 3), (4, 7), (9, 16), (3, 40)]):
                    x = rng.standard_normal((batch, classes)) * (0.5 if k % 2 else 1.5)
                    y = targets(rng, batch, classes, pattern)
                    out_shape = (batch,) if reduction == 'none' else ()
                    go = grad_output_for(rng, out_shape, 'random' if k % 2 else 'ones')
                    cases.append(make_case(f'random/{pattern}/{reduction}/{dtype}/{batch}x{classes}',
                                           ['random', pattern], dtype, x, y, {'reduction': reduction}, go))
                # one sample as a 1-D tensor
                x = rng.standard_normal(6)
                y = targets(rng, 1, 6, pattern)[0]
                cases.append(make_case(f'random/{pattern}/{reduction}/{dtype}/1d', ['random', pattern], dtype,
                                       x, y, {'reduction': reduction}, grad_output_for(rng, (), 'random')))
    return cases


def legacy_cases():
    """size_average / reduce in every combination, with and without an explicit reduction to override."""
    cases = []
    choices = (None, True, False)
    for dtype in ('float32', 'float64'):
        rng = rng_for(f'legacy/{dtype}')
        x = rng.standard_normal((3, 5))
        y = targets(rng, 3, 5, 'neg-anywhere')
        for size_average in choices:
            for reduce in choices:
                for reduction in (None, 'sum', 'none'):
                    options = {}
                    if reduction is not None:
                        options['reduction'] = reduction
                    options['size_average'] = size_average
                    options['reduce'] = reduce
                    name = f'sa={size_average}/r={reduce}/reduction={reduction or "unset"}'.lower()
                    resolved = resolved_reduction(options)
                    out_shape = (3,) if resolved == 'none' else ()
                    go = grad_output_for(rng, out_shape, 'random')
                    cases.append(make_case(f'legacy/{name}/{dtype}', ['legacy'], dtype, x, y, options, go))
        # the keys left out entirely rather than null
        for options in ({'size_average': False}, {'reduce': False}, {'reduce': True, 'reduction': 'none'}):
            name = ','.join(f'{k}={v}' for k, v in options.items()).lower()
            resolved = resolved_reduction(options)
            out_shape = (3,) if resolved == 'none' else ()
            cases.append(make_case(f'legacy/only/{name}/{dtype}', ['legacy'], dtype, x, y, options,
                                   grad_output_for(rng, out_shape, 'random')))
    return cases


def grad_cases():
    """grad_output other than 1: negative, zero, huge, tiny, and a different value per sample."""
    cases = []
    for dtype in ('float32', 'float64'):
        rng = rng_for(f'grad/{dtype}')
        x = rng.standard_normal((5, 6))
        y = targets(rng, 5, 6, 'neg-anywhere')
        for name, value in (('negative', -2.5), ('zero', 0.0), ('huge', 1e30), ('tiny', 1e-30), ('third', 1 / 3)):
            for reduction in ('mean', 'sum'):
                cases.append(make_case(f'grad/{name}/{reduction}/{dtype}', ['grad'], dtype, x, y,
                                       {'reduction': reduction}, np.array(value)))
        per_sample = np.array([2.0, -0.5, 0.0, 1e6, -1e-6])
        cases.append(make_case(f'grad/per-sample/none/{dtype}', ['grad'], dtype, x, y, {'reduction': 'none'},
                               per_sample))
        cases.append(make_case(f'grad/1d-negative/none/{dtype}', ['grad'], dtype, x[0], y[0],
                               {'reduction': 'none'}, np.array(-3.0)))
    return cases


def nonfinite_cases():
    """NaN and ±inf at targets and non-targets, and non-finite grad_output."""
    cases = []
    inf, nan = np.inf, np.nan
    rows = {
        # target 0 is the target class in each row below
        'nan-at-nontarget': ([0.5, nan, 0.2, -0.3], [0, -1, -1, -1]),
        'nan-at-target': ([nan, 0.1, 0.2, -0.3], [0, -1, -1, -1]),
        'posinf-at-nontarget': ([0.5, inf, 0.2, -0.3], [0, -1, -1, -1]),
        'neginf-at-nontarget': ([0.5, -inf, 0.2, -0.3], [0, -1, -1, -1]),
        'posinf-at-target': ([inf, 0.1, 0.2, -0.3], [0, -1, -1, -1]),
        'neginf-at-target': ([-inf, 0.1, 0.2, -0.3], [0, -1, -1, -1]),
        'posinf-both': ([inf, inf, 0.2, -0.3], [0, -1, -1, -1]),
        'neginf-both': ([-inf, -inf, 0.2, -0.3], [0, -1, -1, -1]),
        'nan-ignored-after-neg': ([0.5, 0.1, nan, -0.3], [0, 2, -1, -1]),
        'nan-in-target-list-only': ([0.5, 0.1, nan, -0.3], [2, 0, -1, -1]),
        'all-nan': ([nan, nan, nan, nan], [1, 3, -1, 0]),
    }
    for dtype in ('float32', 'float64'):
        for name, (row, target) in rows.items():
            for reduction in REDUCTIONS:
                cases.append(make_case(f'nonfinite/{name}/{reduction}/{dtype}', ['nonfinite'], dtype,
                                       np.array([row]), np.array([target]), {'reduction': reduction},
                                       'ones' if reduction != 'none' else np.array([-1.5])))
        # a batch mixing finite and non-finite rows: one bad row must not spoil the others
        rng = rng_for(f'nonfinite/{dtype}')
        x = rng.standard_normal((6, 5))
        x[1, 2] = nan
        x[3, 0] = inf
        x[4, 4] = -inf
        x[5, 1] = nan
        x[5, 3] = inf
        y = targets(rng, 6, 5, 'valid')
        y[1] = [0, 1, -1, 2, 3]
        y[3] = [1, -1, 0, 0, 0]
        for reduction in REDUCTIONS:
            out_shape = (6,) if reduction == 'none' else ()
            cases.append(make_case(f'nonfinite/mixed-batch/{reduction}/{dtype}', ['nonfinite'], dtype, x, y,
                                   {'reduction': reduction}, grad_output_for(rng, out_shape, 'random')))
        # huge and tiny magnitudes
        huge = np.array([[1e38 if dtype == "float32" else 1e307, -1e38 if dtype == 'float32' else -1e307,
                          1e-38, -1e-45 if dtype == 'float32' else -5e-324, 0.0]])
        for reduction in REDUCTIONS:
            cases.append(make_case(f'nonfinite/extreme-magnitudes/{reduction}/{dtype}', ['nonfinite'], dtype,
                                   huge, np.array([[2, 4, -1, 0, 0]]), {'reduction': reduction}))
        # non-finite grad_output: 0 * inf is NaN where a pair was not counted
        x = np.array([[0.3, 0.9, -2.0, 0.1], [0.5, -0.5, 0.25, 1.0]])
        y = np.array([[0, -1, -1, -1], [3, 1, -1, -1]])
        for name, go in (('nan', [nan, 1.0]), ('posinf', [inf, -2.0]), ('neginf', [1.0, -inf])):
            cases.append(make_case(f'nonfinite/grad-output-{name}/none/{dtype}', ['nonfinite', 'grad'], dtype,
                                   x, y, {'reduction': 'none'}, np.array(go)))
    return cases


def borderline_cases():
    """Margins at exactly 0 after rounding in the input's precision, and one ulp either side.

    With a = fl(1 - x[y]), a non-target equal to -a gives the term a + x[d] == 0 exactly: it must
    not count. Computed in double instead, 1 - x[y] + x[d] is the rounding error of a, often
    positive, so a backend deciding in double counts it. x[d] one ulp above -a must count, one ulp
    below must not.
    """
    cases = []
    for dtype in ('float32', 'float64'):
        scalar = NP_DTYPES[dtype]
        rng = rng_for(f'borderline/{dtype}')
        batch, classes = 16, 8
        x = np.zeros((batch, classes), dtype=scalar)
        y = np.full((batch, classes), -1)
        for n in range(batch):
            # x[y] such that 1 - x[y] is inexact in float32 but exact in... a fresh value per row
            while True:
                xy = scalar(rng.uniform(-3, 3) * 10.0 ** int(rng.integers(-8, 1)))
                a = scalar(1) - xy
                if dtype == 'float64' or float(a) != 1.0 - float(xy):
                    break
            row = rng.standard_normal(classes).astype(scalar)
            row[0] = xy
            row[1] = -a  # term exactly 0: not counted
            row[2] = np.nextafter(-a, scalar(np.inf))  # one ulp above: counted
            row[3] = np.nextafter(-a, scalar(-np.inf))  # one ulp below: not counted
            row[4] = -a
            x[n] = row
            y[n, 0] = 0
            if n % 2:
                y[n, 1] = 5  # a second target with its own margins
        for reduction in REDUCTIONS:
            out_shape = (batch,) if reduction == 'none' else ()
            cases.append(make_case(f'borderline/exact-zero/{reduction}/{dtype}', ['borderline'], dtype, x, y,
                                   {'reduction': reduction}, grad_output_for(rng, out_shape, 'ones')))
        if dtype == 'float32':
            # Rows where double arithmetic says "counts" but float32 says exactly 0.
            picked = []
            while len(picked) < 12:
                xy = np.float32(rng.uniform(0, 1e-3))
                a = np.float32(1) - xy
                if 1.0 - float(xy) - float(a) > 0:  # double margin positive, float32 term zero
                    picked.append((xy, a))
            x = np.zeros((len(picked), 3), dtype=np.float32)
            for n, (xy, a) in enumerate(picked):
                x[n] = [xy, -a, -a]
            y = np.tile([0, -1, -1], (len(picked), 1))
            for reduction in REDUCTIONS:
                cases.append(make_case(f'borderline/double-would-count/{reduction}/float32', ['borderline'],
                                       'float32', x, y, {'reduction': reduction}))
        # ties: integer-valued data where many terms are exactly 0
        x = rng.integers(-2, 3, size=(8, 6)).astype(scalar)
        y = targets(rng, 8, 6, 'neg-anywhere')
        for reduction in REDUCTIONS:
            out_shape = (8,) if reduction == 'none' else ()
            cases.append(make_case(f'borderline/integer-ties/{reduction}/{dtype}', ['borderline'], dtype, x, y,
                                   {'reduction': reduction}, grad_output_for(rng, out_shape, 'random')))
    return cases


def wide_cases():
    """Wide rows (C >= 500) with J from 0 to C.

    PyTorch 1.13 accumulates each float32 gradient entry by repeated float32 `+= g`; with
    g = 1/C not a power of two that drifts past 2e-6 of the value after a few hundred pairs. So the
    float32 rows with many counted pairs use C and N·C powers of two (g exact, the sums exact), and
    the other width spreads the inputs (std 3) so fewer pairs count; make_case checks it holds.
    """
    cases = []
    for dtype in ('float32', 'float64'):
        for classes, spread in ((512, 0.05), (600, 3.0)):
            rng = rng_for(f'wide/{dtype}/{classes}')
            counts = [0, 1, 5, 50, classes // 2, classes - 3, classes - 1, classes]
            batch = len(counts)
            # three decimals keep the file small (and make ties)
            x = np.round(rng.standard_normal((batch, classes)) * spread, 3)
            y = np.full((batch, classes), -1)
            for n, j in enumerate(counts):
                y[n, :j] = rng.permutation(classes)[:j]
            for reduction in REDUCTIONS:
                out_shape = (batch,) if reduction == 'none' else ()
                go = np.round(grad_output_for(rng, out_shape, 'random'), 2)
                cases.append(make_case(f'wide/C{classes}/{reduction}/{dtype}', ['wide'], dtype, x, y,
                                       {'reduction': reduction}, go))
    return cases


def error_cases():
    """Calls PyTorch refuses, one or more per error code it can raise."""
    cases = []
    for dtype in ('float32', 'float64'):
        rng = rng_for(f'error/{dtype}')
        x = rng.standard_normal((3, 4))
        ok = np.array([[0, -1, 2, 1]] * 3)
        cases.append(make_error_case(f'error/invalid-reduction/{dtype}', 'INVALID_REDUCTION', dtype, x, ok,
                                     {'reduction': 'bogus'}))
        cases.append(make_error_case(f'error/rank-3/{dtype}', 'INVALID_SHAPE', dtype,
                                     rng.standard_normal((2, 3, 4)), np.zeros((2, 3, 4), dtype=np.int64)))
        cases.append(make_error_case(f'error/zero-classes/{dtype}', 'INVALID_SHAPE', dtype,
                                     np.zeros((5, 0)), np.zeros((5, 0), dtype=np.int64)))
        cases.append(make_error_case(f'error/zero-classes-1d/{dtype}', 'INVALID_SHAPE', dtype,
                                     np.zeros((0,)), np.zeros((0,), dtype=np.int64)))
        cases.append(make_error_case(f'error/target-1d-for-2d/{dtype}', 'TARGET_SHAPE_MISMATCH', dtype,
                                     rng.standard_normal((5, 4)), np.zeros(4, dtype=np.int64)))
        cases.append(make_error_case(f'error/target-wrong-classes/{dtype}', 'TARGET_SHAPE_MISMATCH', dtype,
                                     rng.standard_normal((3, 4)), np.zeros((3, 5), dtype=np.int64)))
        cases.append(make_error_case(f'error/target-wrong-batch/{dtype}', 'TARGET_SHAPE_MISMATCH', dtype,
                                     rng.standard_normal((3, 4)), np.zeros((2, 4), dtype=np.int64)))
        cases.append(make_error_case(f'error/target-short-1d/{dtype}', 'TARGET_SHAPE_MISMATCH', dtype,
                                     rng.standard_normal(4), np.zeros(3, dtype=np.int64)))
        cases.append(make_error_case(f'error/target-2d-for-1d/{dtype}', 'TARGET_SHAPE_MISMATCH', dtype,
                                     rng.standard_normal(4), np.zeros((1, 4), dtype=np.int64)))
        cases.append(make_error_case(f'error/target-equals-classes/{dtype}', 'TARGET_OUT_OF_RANGE', dtype, x,
                                     [[0, 4, -1, 1]] * 3))
        cases.append(make_error_case(f'error/target-below-minus-one/{dtype}', 'TARGET_OUT_OF_RANGE', dtype, x,
                                     [[0, 1, -1, 1], [-2, 0, -1, 1], [0, 1, 2, 3]]))
        cases.append(make_error_case(f'error/out-of-range-after-minus-one/{dtype}', 'TARGET_OUT_OF_RANGE',
                                     dtype, x, [[0, -1, 9, 1]] * 3))
        cases.append(make_error_case(f'error/out-of-range-1d/{dtype}', 'TARGET_OUT_OF_RANGE', dtype,
                                     rng.standard_normal(3), [3, 0, -1]))
        cases.append(make_error_case(f'error/grad-output-vector-for-mean/{dtype}', 'GRAD_OUTPUT_SHAPE_MISMATCH',
                                     dtype, x, ok, {}, np.ones(3)))
        cases.append(make_error_case(f'error/grad-output-scalar-for-none/{dtype}', 'GRAD_OUTPUT_SHAPE_MISMATCH',
                                     dtype, x, ok, {'reduction': 'none'}, np.ones(())))
        cases.append(make_error_case(f'error/grad-output-wrong-length/{dtype}', 'GRAD_OUTPUT_SHAPE_MISMATCH',
                                     dtype, x, ok, {'reduction': 'none'}, np.ones(4)))
    return cases


# ---------------------------------------------------------------------------------------------------
# Large seeded problems (pytorch-large.json): the inputs are generated (seeded_problems.py, and
# conformance/src/seededProblem.ts bit for bit), not stored; PyTorch's outputs, checksums of its
# gradient's counts, sampled gradient entries and the exact values are.

LARGE_FORMAT = 'mlml-golden-large-v1'
# Weights of the gradient's count checksum per row: sum over c of count[n, c] * (c % 65521 + 1).
CHECKSUM_MODULUS = 65521
SAMPLES = 8

# Shapes past every backend's splitting points (wasm shares problems of 196,608 elements and more with
# worker threads; J > 8 takes other kernel paths), powers of two so that PyTorch's float32 gradient
# (repeated float32 += g) is exact and can be compared with the exact one at any tolerance.
LARGE_RECIPES = [
    {'id': 'large/batch-512x1024', 'batch': 512, 'classes': 1024, 'dtype': 'float32', 'seed': 101,
     'values': 'spread', 'targets': {'from': 1, 'to': 12}, 'borderline': 4},
    {'id': 'large/many-classes-32x16384', 'batch': 32, 'classes': 16384, 'dtype': 'float32', 'seed': 102,
     'values': 'spread', 'targets': [9, 1000, 10, 12, 16, 17, 24, 33, 48, 64, 9, 500, 31, 40, 20, 11,
                                     13, 15, 60, 9, 100, 18, 14, 27, 9, 36, 50, 10, 22, 44, 9, 25],
     'borderline': 48},
    {'id': 'large/ties-1024x512', 'batch': 1024, 'classes': 512, 'dtype': 'float32', 'seed': 103,
     'values': 'ties', 'targets': {'from': 0, 'to': 20}, 'borderline': 0},
    {'id': 'large/batch-512x1024-f64', 'batch': 512, 'classes': 1024, 'dtype': 'float64', 'seed': 104,
     'values': 'spread', 'targets': {'from': 1, 'to': 16}, 'borderline': 4},
]


def count_checksums(counts):
    """Checksums of the gradient's integer counts (gradient / (g * grad_output)): per row the sum of
    count[n, c] * (c % 65521 + 1), and over the tensor the sum of squares and the nonzero entries."""
    counts = counts.astype(np.int64)
    weights = np.arange(counts.shape[1], dtype=np.int64) % CHECKSUM_MODULUS + 1
    return {'row_weighted': [int(v) for v in np.sum(counts * weights[None, :], axis=1)],
            'squared': int(np.sum(counts * counts)), 'nonzero': int(np.count_nonzero(counts))}


def large_cases():
    """Each recipe x reduction: PyTorch's output (whole) and gradient (count checksums, samples), and the
    exact values; PyTorch's gradient must give exactly the exact counts."""
    problems = []
    for recipe in LARGE_RECIPES:
        dtype = recipe['dtype']
        x, y, _ = make_problem(recipe)
        batch, classes = x.shape
        sums, counts = row_sums_and_counts(x, y, dtype)
        words = seeded_words_for_samples(recipe, x.size)
        for reduction in REDUCTIONS:
            go = make_grad_output(recipe, reduction)
            xt = torch.tensor(x, requires_grad=True)
            out = F.multilabel_margin_loss(xt, torch.tensor(y), reduction=reduction)
            out.backward(torch.tensor(go))
            output = out.detach().numpy().astype(np.float64)
            grad = xt.grad.detach().numpy().astype(np.float64)
            case_id = f"{recipe['id']}/{reduction}/{dtype}"
            if reduction == 'none':
                exact_output = np.array([round_to(s / classes, dtype) for s in sums])
            else:
                total = sum(sums, Fraction(0)) / (classes * (batch if reduction == 'mean' else 1))
                exact_output = np.array(round_to(total, dtype))
            check_close(case_id, 'output', output, exact_output, dtype, 1)
            g = Fraction(1, batch * classes) if reduction == 'mean' else Fraction(1, classes)
            unit = np.array([float(g * Fraction(float(v))) for v in np.asarray(go, np.float64).reshape(-1)])
            unit = unit.reshape(-1, 1) if reduction == 'none' else unit.reshape(1, 1)
            derived = np.rint(grad / unit).astype(np.int64)
            if not np.array_equal(derived, counts):
                raise SystemExit(f'{case_id}: PyTorch\'s gradient does not give the exact counts')
            row_max = np.max(np.abs(counts), axis=1, keepdims=True) * np.abs(unit)
            drift = np.max(np.abs(grad - counts * unit) / np.maximum(row_max, 1e-300))
            if drift > CHECK_RTOL[dtype]:
                raise SystemExit(f'{case_id}: PyTorch\'s gradient drifts {drift:.3g} from the exact one')
            flat_counts = counts.reshape(-1)
            largest = np.argsort(-np.abs(flat_counts), kind='stable')[:SAMPLES // 2]
            picked = sorted(set(int(i) for i in words[:SAMPLES]) | set(int(i) for i in largest))
            go_flat = np.asarray(go, np.float64).reshape(-1)

            def exact_entry(i):
                n = i // classes
                scale = Fraction(float(go_flat[n if reduction == 'none' else 0]))
                return round_to(int(flat_counts[i]) * g * scale, dtype)

            problems.append({
                'id': case_id,
                'tags': ['large', recipe['values']],
                'dtype': dtype,
                'recipe': {k: v for k, v in recipe.items() if k not in ('id', 'dtype')},
                # SHA-256 of the generated arrays (little-endian input in the dtype, int32 target), so
                # a drift between the Python and TypeScript generators shows as itself.
                'sha256': {'input': hashlib.sha256(x.astype(x.dtype.newbyteorder('<')).tobytes()).hexdigest(),
                           'target': hashlib.sha256(y.astype('<i4').tobytes()).hexdigest()},
                'options': {'reduction': reduction},
                'expected': {
                    'output': float_tensor(output, dtype),
                    'grad_input': {
                        'shape': [int(batch), int(classes)],
                        'counts': count_checksums(counts),
                        'samples': {'index': picked,
                                    'data': Raw('[' + ', '.join(float_token(grad.reshape(-1)[i], dtype)
                                                                for i in picked) + ']')},
                    },
                    'exact': {
                        'output': float_tensor(exact_output, dtype),
                        'grad_input': {'samples': {'index': picked, 'data': Raw(
                            '[' + ', '.join(float_token(exact_entry(i), dtype) for i in picked) + ']')}},
                    },
                },
            })
    return problems


def seeded_words_for_samples(recipe, size):
    from seeded_problems import scaled_index, seeded_words
    return scaled_index(seeded_words(recipe['seed'] * 8 + 7, SAMPLES), size)


def write_large_file(name, problems):
    header = {'format': LARGE_FORMAT, 'generator': generator_header('pytorch')}
    text = '\n'.join(['{', f'  "format": {dump(header["format"])},', f'  "generator": {dump(header["generator"])},',
                      '  "problems": [', ',\n'.join('    ' + dump(p) for p in problems), '  ]', '}']) + '\n'
    path = os.path.join(OUT_DIR, name)
    if CHECK_ONLY:
        with open(path, encoding='utf-8') as f:
            same = f.read() == text
        print(f'{name}: {"identical" if same else "DIFFERS from the regenerated file"}')
        if not same:
            CHANGED.append(name)
        return
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'{name}: {len(problems)} problems, {os.path.getsize(path)} bytes')


HAND_FILE = 'edge-cases.json'


def hand_json(value):
    """A value of the hand-written file written back as it was read (ints stay ints)."""
    if isinstance(value, float):
        return Raw(repr(value))
    if isinstance(value, dict):
        return {k: hand_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hand_json(v) for v in value]
    return value


def decode(value):
    return {'NaN': math.nan, 'Infinity': math.inf, '-Infinity': -math.inf}.get(value, value) \
        if isinstance(value, str) else float(value)


def add_exact_to_hand_file():
    """Adds `expected.exact` to every value case of the hand-written edge-cases.json (its inputs and
    expected values stay as written); a hand value farther than CHECK_RTOL from the exact one stops
    the script (the hand values are decimals such as 0.85, so they may be a last bit off)."""
    path = os.path.join(OUT_DIR, HAND_FILE)
    with open(path, encoding='utf-8') as f:
        original = f.read()
    document = json.loads(original)
    cases = []
    for c in document['cases']:
        c.get('expected', {}).pop('exact', None)
        expected = c['expected']
        if 'error' not in expected:
            dtype = c['dtype']
            scalar = NP_DTYPES[dtype]
            x = np.array([decode(v) for v in c['input']['data']], dtype=scalar).reshape(c['input']['shape'])
            y = np.array(c['target']['data'], dtype=np.int64).reshape(c['target']['shape'])
            go = None
            if 'grad_output' in c:
                go = np.array([decode(v) for v in c['grad_output']['data']], dtype=scalar).reshape(
                    c['grad_output']['shape'])
            output, grad = exact_values(x, y, dtype, resolved_reduction(c['options']), go)
            hand_output = np.array([decode(v) for v in expected['output']['data']]).reshape(output.shape)
            classes = 1 if x.ndim == 0 else x.shape[-1]
            check_close(c['id'], 'output (hand)', hand_output, output, dtype, 1)
            exact = {'output': float_tensor(output, dtype)}
            if grad is not None:
                hand_grad = np.array([decode(v) for v in expected['grad_input']['data']]).reshape(grad.shape)
                check_close(c['id'], 'grad_input (hand)', hand_grad, grad, dtype, classes)
                exact['grad_input'] = float_tensor(grad, dtype)
            c = hand_json(c)
            c['expected']['exact'] = exact
        else:
            c = hand_json(c)
        cases.append(c)
    lines = ['{', f'  "format": {dump(document["format"])},', f'  "generator": {dump(hand_json(document["generator"]))},',
             '  "cases": [', ',\n'.join('    ' + dump(c) for c in cases), '  ]', '}']
    text = '\n'.join(lines) + '\n'
    if CHECK_ONLY:
        same = original == text
        print(f'{HAND_FILE}: {"identical" if same else "DIFFERS from the regenerated file"}')
        if not same:
            CHANGED.append(HAND_FILE)
        return
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'{HAND_FILE}: exact values added to its value cases, {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write_file('pytorch-reference.json', 'pytorch', reference_cases())
    write_file('pytorch-random.json', 'pytorch', random_cases() + legacy_cases() + grad_cases())
    write_file('pytorch-special.json', 'pytorch', nonfinite_cases() + borderline_cases())
    write_file('pytorch-wide.json', 'pytorch', wide_cases())
    write_file('pytorch-errors.json', 'pytorch', error_cases())
    write_large_file('pytorch-large.json', large_cases())
    add_exact_to_hand_file()
    return 1 if CHANGED else 0


if __name__ == '__main__':
    sys.exit(main())
