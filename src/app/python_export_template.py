#!/usr/bin/env python3
"""{{TITLE}}

Exported by Diffusion Playground ({{ORIGIN}}). The settings:

    {{SETTINGS_LINE}}

This script is the run itself, as a plain NumPy loop: the same prior noise (the playground's
counter-based random numbers), the same score ({{SCORE_LINE}}), the same schedule, time grid and
per-step coefficients, so it lands on the playground's samples (to float32 rounding;
`tests/it/cli_emit_python.rs` checks it against `dp-sample` to 1e-4). It needs NumPy only:

    python3 {{FILE_NAME}} --out samples.npy          # (particles, 2) float32
    python3 {{FILE_NAME}} --trajectory --out path.npy  # (steps + 1, particles, 2)
    python3 {{FILE_NAME}} --start points.csv         # start from given x,y points instead

Every sampler of the playground is one per-step update, linear in what it combines (see
`step` below); the sampler decides only its coefficients, which are listed in PLAN.
"""

import argparse
import json
import struct

import numpy as np

SETTINGS = json.loads(r"""{{SETTINGS_JSON}}""")
SEED = {{SEED}}
PARTICLES = {{PARTICLES}}
TEMPERATURE = {{TEMPERATURE}}

# ----------------------------------------------------------------------------------------------
# Schedule: x_t = alpha_t x_0 + sigma_t eps.
{{SCHEDULE_CODE}}
# ----------------------------------------------------------------------------------------------
# Time grid: {{GRID_LINE}}
# The times the run visits, from t_max down to t_min (steps + 1 of them).
TIMES = np.array({{TIMES}})

# ----------------------------------------------------------------------------------------------
# Sampler: {{SAMPLER_LINE}}
#
# One step from TIMES[i] to TIMES[i + 1], with eps_hat the noise prediction and z0, z1, z fresh
# standard normals:
#     x^  = x + pre_noise z0                                   (EDM's churn; 0 for most samplers)
#     e1  = eps_hat(x^, eval1)
#     x'  = stage2_x x^ + stage2_e1 e1 + stage2_noise z1,  e2 = eps_hat(x', eval2)   (if stage2)
#     x  <- out_x x^ + out_e1 e1 + out_e2 e2 + sum_k out_hist[k] h[k] + out_stage2_noise z1 + out_noise z
#     h  <- [hist_x x^ + hist_e1 e1, h[0], h[1]]               (what a multistep method keeps)
# An evaluation is (t_net, input_scale, alpha, sigma, eps_from_output, eps_from_input,
# guidance_weight): the network sees input_scale x at its own time t_net and its output becomes
# eps_hat = eps_from_output out + eps_from_input (input_scale x); alpha and sigma are the
# schedule's at the evaluation (what the exact score and guidance need).
EVALUATION_FIELDS = ("t_net", "input_scale", "alpha", "sigma", "eps_from_output", "eps_from_input", "guidance_weight")
PLAN = [
{{PLAN}}
]

# ----------------------------------------------------------------------------------------------
# Equivalents elsewhere (the same method; the libraries discretise the training schedule their
# own way, so expect agreement in distribution, not particle by particle):
{{EQUIVALENTS}}

# ----------------------------------------------------------------------------------------------
# Counter-based random numbers: the pcg4d hash (Jarzynski and Olano, "Hash Functions for GPU
# Rendering", JCGT 9(3), 2020) of (seed, particle, step, stream), then Box-Muller. Stateless, so
# particle i draws the same numbers at step s in any order (the playground's GPU and CPU agree).
STREAM_PRIOR, STREAM_REVERSE, STREAM_CHURN, STREAM_STAGE2 = 0, 2, 6, 8
LCG_MULTIPLIER, LCG_INCREMENT = np.uint32(1664525), np.uint32(1013904223)


def pcg4d(v):
    """Four uint32 words per column in, four well-mixed words out."""
    v = [w * LCG_MULTIPLIER + LCG_INCREMENT for w in v]

    def cross(v):
        v[0] = v[0] + v[1] * v[3]
        v[1] = v[1] + v[2] * v[0]
        v[2] = v[2] + v[0] * v[1]
        v[3] = v[3] + v[1] * v[2]

    cross(v)
    v = [w ^ (w >> np.uint32(16)) for w in v]
    cross(v)
    return v


def normal2(step, stream, n):
    """Two standard normals for each of particles 0..n-1 at (SEED, particle, step, stream)."""
    key = [np.full(n, SEED, np.uint32), np.arange(n, dtype=np.uint32),
           np.full(n, step, np.uint32), np.full(n, stream, np.uint32)]
    w = pcg4d(key)
    # Uniforms in (0, 1] from the top 24 bits (never 0, so the log is finite).
    u1 = ((w[0] >> np.uint32(8)) + np.uint32(1)).astype(np.float32) * np.float32(2.0**-24)
    u2 = ((w[1] >> np.uint32(8)) + np.uint32(1)).astype(np.float32) * np.float32(2.0**-24)
    radius = np.sqrt(np.float32(-2.0) * np.log(u1))
    angle = np.float32(2.0 * np.pi) * u2
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


# ----------------------------------------------------------------------------------------------
# Score: {{SCORE_LINE}}
{{SCORE_CODE}}

# ----------------------------------------------------------------------------------------------
def eps_hat(x, evaluation):
    """The noise prediction at the points x (n, 2) for one evaluation of the plan."""
    e = dict(zip(EVALUATION_FIELDS, evaluation))
    eps = unguided_eps(x, e)
{{GUIDANCE_CALL}}    return eps.astype(np.float32)


def step(x, history, i, row):
    """One step of the plan for every particle (x: (n, 2), history: (3, n, 2))."""
    c = dict(row)
    n = len(x)
    if c.get("pre_noise", 0.0):
        x = x + np.float32(c["pre_noise"]) * normal2(i, STREAM_CHURN, n)
    e1 = eps_hat(x, c["eval1"])
    draws_z1 = c.get("stage2_noise", 0.0) or c.get("out_stage2_noise", 0.0)
    z1 = normal2(i, STREAM_STAGE2, n) if draws_z1 else np.zeros_like(x)
    e2 = np.zeros_like(x)
    if c.get("stage2", 0):
        x2 = c.get("stage2_x", 0.0) * x + c.get("stage2_e1", 0.0) * e1 + c.get("stage2_noise", 0.0) * z1
        e2 = eps_hat(x2.astype(np.float32), c["eval2"])
    z = normal2(i, STREAM_REVERSE, n) if c.get("out_noise", 0.0) else np.zeros_like(x)
    out_hist = c.get("out_hist", (0.0, 0.0, 0.0))
    out = (c.get("out_x", 0.0) * x + c.get("out_e1", 0.0) * e1 + c.get("out_e2", 0.0) * e2
           + sum(w * h for w, h in zip(out_hist, history))
           + c.get("out_stage2_noise", 0.0) * z1 + c.get("out_noise", 0.0) * z)
    newest = c.get("hist_x", 0.0) * x + c.get("hist_e1", 0.0) * e1
    history = np.stack([newest, history[0], history[1]]).astype(np.float32)
    return out.astype(np.float32), history


def check_plan():
    """The plan's alphas and sigmas are those of the schedule above at the grid's times."""
    for i, row in enumerate(PLAN):
        c = dict(row)
        if c.get("pre_noise", 0.0):
            continue  # churn evaluates at a raised time t^
        e = dict(zip(EVALUATION_FIELDS, c["eval1"]))
        t = TIMES[i]
        assert np.isclose(e["alpha"], alpha(t), rtol=1e-5, atol=1e-7), (i, e["alpha"], alpha(t))
        assert np.isclose(e["sigma"], sigma(t), rtol=1e-5, atol=1e-7), (i, e["sigma"], sigma(t))


def prior():
    """x_T = temperature sigma(t_max) z: the forward marginal at the first time (alpha x_0 there
    is dropped), its spread scaled by the prior temperature (1: the prior itself)."""
    return np.float32(TEMPERATURE * sigma(TIMES[0])) * normal2(0, STREAM_PRIOR, PARTICLES)


def read_points(path):
    """x,y points from a CSV (lines that are not two numbers, like a header, are skipped) or .npy."""
    if path.endswith(".npy"):
        return np.load(path).astype(np.float32).reshape(-1, 2)
    rows = []
    for line in open(path):
        fields = line.strip().split(",")
        try:
            rows.append([float(fields[-2]), float(fields[-1])])
        except (ValueError, IndexError):
            continue
    return np.array(rows, np.float32).reshape(-1, 2)


def run(start, trajectory=False):
    """Integrates the plan from `start`; returns the final points, or every step's."""
    x = start.astype(np.float32)
    history = np.zeros((3,) + x.shape, np.float32)
    frames = [x]
    for i, row in enumerate(PLAN):
        x, history = step(x, history, i, row)
        frames.append(x)
    return np.stack(frames) if trajectory else x


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="samples.npy", help="where the samples go (.npy or .csv)")
    parser.add_argument("--start", help="start from these x,y points (CSV or .npy) instead of the prior")
    parser.add_argument("--trajectory", action="store_true", help="write every step, not only the last")
    parser.add_argument("--weights", help="another network file (safetensors, the layout of docs/weights.md)")
    args = parser.parse_args()
    if args.weights:
        use_weights(args.weights)
    check_plan()
    start = read_points(args.start) if args.start else prior()
    with np.errstate(over="ignore", invalid="ignore"):
        result = run(start, args.trajectory)
    if args.out.endswith(".csv"):
        points = result.reshape(-1, 2)
        np.savetxt(args.out, points, delimiter=",", header="x,y", comments="", fmt="%.9g")
    else:
        np.save(args.out, result)
    final = result[-1] if args.trajectory else result
    print(f"{len(final)} particles after {len(PLAN)} steps -> {args.out}; mean {final.mean(0)}, std {final.std(0)}")


if __name__ == "__main__":
    main()
