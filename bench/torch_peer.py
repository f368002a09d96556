"""PyTorch on the CPU as a native peer of `cargo xtask bench`.

Runs the same reverse integration as our native CPU path: the embedded MLP with the same
weights, the same 20 Euler-Maruyama steps (x <- out_x x + out_e1 MLP(input_scale x) + out_noise z)
and the same particle counts, from the plan that `dp-bench --write_plan` writes. The network is
written the way a notebook user would write it: float32 tensors, `torch.nn.functional.linear`
and `silu`, under `torch.inference_mode()`; the first layer's time features are already folded
into the plan's per-step hidden biases, so it is a [2 -> 64] layer on x.

Measures each particle count with torch's default number of threads and with one thread (our
native CPU path is single-threaded), a warm-up run first, then the median, min and max of the
timed runs. The final particles are checked against a data sample with the same sliced W2
distance as `core::metrics` (so a wrong peer shows). When `--native` names `dp-bench --json`
output, prints our CPU path / PyTorch at each N. Writes everything as JSON to `--out`.

Usage: python bench/torch_peer.py --plan PLAN.json [--native NATIVE.json] [--out OUT.json]
       [--particles 16384,65536,262144] [--repeats 3]
"""

import argparse
import json
import math
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

# Particle counts measured unless --particles says otherwise.
DEFAULT_PARTICLES = (16_384, 65_536, 262_144)
# Timed runs per configuration.
DEFAULT_REPEATS = 3
# Directions of the sliced W2 distance (core::metrics::SLICED_WASSERSTEIN_PROJECTIONS).
SLICED_WASSERSTEIN_PROJECTIONS = 64
# Seed of torch's generator for the prior and the per-step noise.
NOISE_SEED = 1
# One thread, as our native CPU path runs (measured after torch's default).
SINGLE_THREAD = 1


class Network:
    """The plan's MLP as float32 tensors, in the [out, in] layout of `F.linear`."""

    def __init__(self, plan):
        features, hidden, outputs = plan["features"], plan["hidden"], plan["output_dim"]
        weights = torch.tensor(plan["weights"], dtype=torch.float32)
        # Offsets of core::mlp's flat layout: W1 [hidden][features], b1, W2 [hidden][hidden], b2,
        # W3 [outputs][hidden], b3.
        w1_end = hidden * features
        w2_start = w1_end + hidden
        b2_start = w2_start + hidden * hidden
        w3_start = b2_start + hidden
        b3_start = w3_start + outputs * hidden
        if b3_start + outputs != weights.numel():
            raise ValueError(f"{weights.numel()} weights do not fit a {features}-{hidden}-{hidden}-{outputs} MLP")
        # Only the first layer's x columns act on particles; b1 and the time columns are in the
        # per-step hidden biases.
        self.w1_x = weights[:w1_end].reshape(hidden, features)[:, :2].contiguous()
        self.w2 = weights[w2_start:b2_start].reshape(hidden, hidden).contiguous()
        self.b2 = weights[b2_start:w3_start].contiguous()
        self.w3 = weights[w3_start:b3_start].reshape(outputs, hidden).contiguous()
        self.b3 = weights[b3_start:].contiguous()
        self.hidden_biases = torch.tensor(plan["hidden_biases"], dtype=torch.float32).reshape(-1, hidden)

    def eps_hat(self, x, step):
        """The network's output at `x` (already scaled) for plan step `step`."""
        h1 = F.silu(F.linear(x, self.w1_x, self.hidden_biases[step]))
        h2 = F.silu(F.linear(h1, self.w2, self.b2))
        return F.linear(h2, self.w3, self.b3)


def reverse_run(plan, network, start, generator):
    """The plan's Euler-Maruyama steps from `start` (not modified); returns the final particles."""
    x = start.clone()
    z = torch.empty_like(x)
    for step, (out_x, out_e1, out_noise, scale) in enumerate(
        zip(plan["out_x"], plan["out_e1"], plan["out_noise"], plan["input_scale"])
    ):
        eps = network.eps_hat(x * scale, step)
        torch.randn(x.shape, generator=generator, out=z)
        x = x.mul_(out_x).add_(eps, alpha=out_e1).add_(z, alpha=out_noise)
    return x


def sliced_wasserstein(a, b, projections=SLICED_WASSERSTEIN_PROJECTIONS):
    """Sliced 2-Wasserstein distance of two point sets, exactly as `core::metrics`: directions
    pi k / K, quantile levels (i + 1/2) / m with m = max(|a|, |b|), in float64."""
    a, b = a.double(), b.double()
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    levels = max(len(a), len(b))
    theta = math.pi * torch.arange(projections, dtype=torch.float64) / projections
    directions = torch.stack([theta.cos(), theta.sin()])
    level = (torch.arange(levels, dtype=torch.float64) + 0.5) / levels

    def quantiles(points):
        projected = (points @ directions).sort(dim=0).values
        rank = (level * len(points)).long().clamp(max=len(points) - 1)
        return projected[rank]

    return ((quantiles(a) - quantiles(b)) ** 2).mean().sqrt().item()


def measure(plan, network, particles, repeats, reference):
    """Times `repeats` runs at `particles` (after a warm-up run) with the current thread setting."""
    generator = torch.Generator().manual_seed(NOISE_SEED)
    start = plan["prior_sigma"] * torch.randn((particles, 2), generator=generator)
    steps = len(plan["out_x"])
    with torch.inference_mode():
        reverse_run(plan, network, start, generator)
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            final = reverse_run(plan, network, start, generator)
            seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    compared = min(particles, len(reference))
    return {
        "particles": particles,
        "steps": steps,
        "threads": torch.get_num_threads(),
        "seconds": sorted(seconds),
        "steps_per_second": steps / median,
        "evaluations_per_second": particles * steps / median,
        "sw2_after_steps": sliced_wasserstein(final[:compared], reference),
        "mean": final.double().mean(dim=0).tolist(),
        "std": final.double().std(dim=0, unbiased=False).tolist(),
    }


def native_cpu_rows(path):
    """Our native CPU rows from `dp-bench --json` of the plain network the peers run, by particle
    count (empty when unreadable)."""
    if path is None or not Path(path).is_file():
        return {}
    rows = json.loads(Path(path).read_text())["rows"]
    plain = lambda row: row.get("architecture", "mlp 18-64-64-2") == "mlp 18-64-64-2"
    return {row["particles"]: row for row in rows if row["path"] == "cpu" and plain(row)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", required=True, help="plan written by `dp-bench --write_plan`")
    parser.add_argument("--native", help="our measurements, written by `dp-bench --json`")
    parser.add_argument("--out", default="bench/results/torch.json", help="where the JSON goes")
    parser.add_argument(
        "--particles",
        default=",".join(map(str, DEFAULT_PARTICLES)),
        help="comma-separated particle counts",
    )
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="timed runs per configuration")
    args = parser.parse_args()

    plan = json.loads(Path(args.plan).read_text())
    network = Network(plan)
    reference = torch.tensor(plan["reference_points"], dtype=torch.float32)
    particle_counts = [int(n) for n in args.particles.split(",")]
    default_threads = torch.get_num_threads()
    print(
        f"PyTorch {torch.__version__} on the CPU ({platform.processor() or platform.machine()}), "
        f"default threads {default_threads}, interop threads {torch.get_num_interop_threads()}; "
        f"{plan['dataset']}, {plan['schedule']}, {len(plan['out_x'])} steps"
    )
    print("| threads | N | steps/s | M evaluations/s | run seconds (min..max) | SW2 to data | mean | std |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    thread_settings = [("default", default_threads)]
    if default_threads != SINGLE_THREAD:
        thread_settings.append(("one", SINGLE_THREAD))
    rows = []
    for setting, threads in thread_settings:
        torch.set_num_threads(threads)
        for particles in particle_counts:
            row = measure(plan, network, particles, args.repeats, reference)
            row["thread_setting"] = setting
            rows.append(row)
            print(
                f"| {row['threads']} | {particles} | {row['steps_per_second']:.2f} | "
                f"{row['evaluations_per_second'] / 1e6:.3f} | {row['seconds'][0]:.2f}..{row['seconds'][-1]:.2f} | "
                f"{row['sw2_after_steps']:.3f} | ({row['mean'][0]:.3f}, {row['mean'][1]:.3f}) | "
                f"({row['std'][0]:.3f}, {row['std'][1]:.3f}) |"
            )
    torch.set_num_threads(default_threads)

    ours = native_cpu_rows(args.native)
    comparisons = []
    if ours:
        print("\nOur native CPU path (single-threaded) / PyTorch CPU, M evaluations/s:")
        print("| N | ours | SW2 ours | PyTorch, threads | ours / PyTorch | SW2 PyTorch |")
        print("| --- | --- | --- | --- | --- | --- |")
        for row in rows:
            mine = ours.get(row["particles"])
            if mine is None:
                continue
            ratio = mine["evaluations_per_second"] / row["evaluations_per_second"]
            comparisons.append(
                {"particles": row["particles"], "threads": row["threads"], "ours_over_torch": ratio}
            )
            print(
                f"| {row['particles']} | {mine['evaluations_per_second'] / 1e6:.3f} | {mine['sw2_after_steps']:.3f} | "
                f"{row['evaluations_per_second'] / 1e6:.3f}, {row['threads']} | {ratio:.2f}x | "
                f"{row['sw2_after_steps']:.3f} |"
            )
    else:
        print(f"\n(no native measurements at {args.native}: no comparison with our CPU path)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "torch_version": torch.__version__,
        "default_threads": default_threads,
        "machine": platform.machine(),
        "dataset": plan["dataset"],
        "schedule": plan["schedule"],
        "rows": rows,
        "ours_native_cpu": list(ours.values()),
        "comparisons": comparisons,
    }
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nPyTorch peer results written to {out}")


if __name__ == "__main__":
    main()
