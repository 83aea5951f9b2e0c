"""PyTorch side of the mlml bench: a JSON-lines server on stdin/stdout.

Started by bench/src/torchRunner.ts with /usr/bin/python3. It loads the bench's raw arrays
(input float32/float64, target int32, C order), returns F.multilabel_margin_loss's values for the
agreement check, and times its own loop (time.perf_counter around each call; median of repeats).

Requests (one JSON object per line) and replies (one per request):
  {"cmd": "load", "id", "input", "target", "dtype", "batch", "classes"}  -> {"ok": true}
  {"cmd": "values", "id", "mode", "grad_path"}  -> {"output": float, "grad_path"?: str}
  {"cmd": "time", "id", "mode", "threads", "time_ms", "min_repeats", "warmup_ms", "warmup_iterations"}
      -> {"median_ms", "mean_ms", "min_ms", "rme", "samples"}
  {"cmd": "free", "id"} -> {"ok": true};  {"cmd": "quit"}
Any failure: {"error": "..."}. The first line written is {"ready": true, "torch": ..., ...}.
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

cases = {}

# Two-sided 95% Student t critical values, as tinybench uses for its rme.
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
           10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}


def t_critical(df):
    for key in sorted(T_TABLE):
        if df <= key:
            return T_TABLE[key]
    return 1.96


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load(msg):
    dtype = np.float32 if msg["dtype"] == "float32" else np.float64
    shape = (msg["batch"], msg["classes"])
    x = torch.from_numpy(np.fromfile(msg["input"], dtype=dtype).reshape(shape))
    y = torch.from_numpy(np.fromfile(msg["target"], dtype=np.int32).reshape(shape).astype(np.int64))
    leaf = x.detach().clone().requires_grad_(True)
    cases[msg["id"]] = (x, y, leaf)
    return {"ok": True}


def runner(case, mode):
    x, y, leaf = case
    if mode == "forward":
        def forward():
            return F.multilabel_margin_loss(x, y)
        return forward

    def forward_backward():
        leaf.grad = None
        loss = F.multilabel_margin_loss(leaf, y)
        loss.backward()
        return loss
    return forward_backward


def values(msg):
    case = cases[msg["id"]]
    torch.set_num_threads(1)
    loss = runner(case, msg["mode"])()
    out = {"output": loss.item()}
    if msg["mode"] == "forward-backward":
        case[2].grad.numpy().tofile(msg["grad_path"])
        out["grad_path"] = msg["grad_path"]
    return out


def time_loop(msg):
    fn = runner(cases[msg["id"]], msg["mode"])
    torch.set_num_threads(msg["threads"])
    budget = msg["time_ms"] / 1000
    start = time.perf_counter()
    warmups = 0
    while warmups < msg.get("warmup_iterations", 1) or time.perf_counter() - start < msg["warmup_ms"] / 1000:
        fn()
        warmups += 1
    samples = []
    start = time.perf_counter()
    while len(samples) < msg["min_repeats"] or (time.perf_counter() - start < budget and len(samples) < 100000):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    n = len(samples)
    mid = n // 2
    median = samples[mid] if n % 2 else (samples[mid - 1] + samples[mid]) / 2
    mean = sum(samples) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in samples) / (n - 1)) if n > 1 else 0.0
    rme = 100 * t_critical(n - 1) * sd / math.sqrt(n) / mean if n > 1 and mean > 0 else None
    return {"median_ms": median, "mean_ms": mean, "min_ms": samples[0], "rme": rme, "samples": n}


def main():
    reply({"ready": True, "torch": torch.__version__, "numpy": np.__version__,
           "default_threads": torch.get_num_threads(), "python": sys.version.split()[0]})
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "quit":
            break
        try:
            if cmd == "load":
                reply(load(msg))
            elif cmd == "values":
                reply(values(msg))
            elif cmd == "time":
                reply(time_loop(msg))
            elif cmd == "free":
                cases.pop(msg["id"], None)
                reply({"ok": True})
            else:
                reply({"error": "unknown command %r" % (cmd,)})
        except Exception as exc:  # reported to the bench, which stops with it
            reply({"error": "%s: %s" % (type(exc).__name__, exc)})


main()
