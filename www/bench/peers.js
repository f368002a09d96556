// peers.js: the benchmark's peers, run in the same page as ours: the same network (weights from
// the wasm's `peer_plan`), the same reverse SDE (Euler-Maruyama; its coefficients and the first
// layer's time biases also from `peer_plan`), the same particle count and steps, written the way
// a user without this project would: a plain JavaScript loop, TensorFlow.js (webgpu and wasm
// backends) and ONNX Runtime Web (webgpu and wasm execution providers), both from npm, served
// from www/vendor/peers/ by `cargo xtask bench`. Each returns the seconds of the whole run (a
// readback at the end, so GPU work is finished) and the particles.

import { stepModel } from './onnx-model.js';

// Layout of core::mlp (2 inputs + 16 time features -> 64 -> 64 -> 2).
const FEATURES = 18;
const HIDDEN = 64;
const W1 = 0;
const B1 = W1 + HIDDEN * FEATURES;
const W2 = B1 + HIDDEN;
const B2 = W2 + HIDDEN * HIDDEN;
const W3 = B2 + HIDDEN;
const B3 = W3 + 2 * HIDDEN;

function gaussians(n) {
  const z = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
    const a = 2 * Math.PI * Math.random();
    z[i] = r * Math.cos(a);
    if (i + 1 < n) z[i + 1] = r * Math.sin(a);
  }
  return z;
}

/** The prior particles N(0, I) for a VP schedule (sigma(t_max) ~ 1). */
export function prior(particles) {
  return gaussians(2 * particles);
}

/** A plain JavaScript loop over particles, one network evaluation at a time. */
export function plainJs(plan, start) {
  const w = Float32Array.from(plan.weights);
  const x = Float32Array.from(start);
  const n = x.length / 2;
  const h1 = new Float32Array(HIDDEN);
  const h2 = new Float32Array(HIDDEN);
  const started = performance.now();
  for (let s = 0; s < plan.out_x.length; s += 1) {
    const bias = plan.hidden_biases.slice(s * HIDDEN, (s + 1) * HIDDEN);
    const z = gaussians(2 * n);
    const [ox, oe, on, scale] = [plan.out_x[s], plan.out_e1[s], plan.out_noise[s], plan.input_scale[s]];
    for (let p = 0; p < n; p += 1) {
      const px = scale * x[2 * p];
      const py = scale * x[2 * p + 1];
      for (let j = 0; j < HIDDEN; j += 1) {
        const a = w[W1 + j * FEATURES] * px + w[W1 + j * FEATURES + 1] * py + bias[j];
        h1[j] = a / (1 + Math.exp(-a));
      }
      for (let j = 0; j < HIDDEN; j += 1) {
        let a = w[B2 + j];
        const row = W2 + j * HIDDEN;
        for (let k = 0; k < HIDDEN; k += 1) a += w[row + k] * h1[k];
        h2[j] = a / (1 + Math.exp(-a));
      }
      let e0 = w[B3];
      let e1 = w[B3 + 1];
      for (let k = 0; k < HIDDEN; k += 1) {
        e0 += w[W3 + k] * h2[k];
        e1 += w[W3 + HIDDEN + k] * h2[k];
      }
      x[2 * p] = ox * x[2 * p] + oe * e0 + on * z[2 * p];
      x[2 * p + 1] = ox * x[2 * p + 1] + oe * e1 + on * z[2 * p + 1];
    }
  }
  return { seconds: (performance.now() - started) / 1000, particles: x };
}

/**
 * The network as row-major [in][out] matrices for `u @ W`: the first layer's x columns w1x
 * [2 x 64] (its time-feature columns are folded into `plan.hidden_biases`), W2^T, b2, W3^T, b3.
 */
function inOutMatrices(plan) {
  const w = Float32Array.from(plan.weights);
  return {
    w1x: Float32Array.from({ length: 2 * HIDDEN }, (_, i) => w[W1 + (i % HIDDEN) * FEATURES + Math.floor(i / HIDDEN)]),
    w2: Float32Array.from({ length: HIDDEN * HIDDEN }, (_, i) => w[W2 + (i % HIDDEN) * HIDDEN + Math.floor(i / HIDDEN)]),
    b2: w.slice(B2, B2 + HIDDEN),
    w3: Float32Array.from({ length: 2 * HIDDEN }, (_, i) => w[W3 + (i % 2) * HIDDEN + Math.floor(i / 2)]),
    b3: w.slice(B3, B3 + 2),
  };
}

/** TensorFlow.js on `backend` ('webgpu' or 'wasm'): batched matrix products per step. */
export async function tensorflow(tf, backend, plan, start) {
  await tf.setBackend(backend);
  await tf.ready();
  const n = start.length / 2;
  const m = inOutMatrices(plan);
  const w1x = tf.tensor2d(m.w1x, [2, HIDDEN]);
  const w2 = tf.tensor2d(m.w2, [HIDDEN, HIDDEN]);
  const b2 = tf.tensor1d(m.b2);
  const w3 = tf.tensor2d(m.w3, [HIDDEN, 2]);
  const b3 = tf.tensor1d(m.b3);
  let x = tf.tensor2d(start, [n, 2]);
  // Warm-up: compile the kernels once.
  tf.tidy(() => tf.matMul(x, w1x).dataSync());
  const started = performance.now();
  for (let s = 0; s < plan.out_x.length; s += 1) {
    const next = tf.tidy(() => {
      const bias = tf.tensor1d(plan.hidden_biases.slice(s * HIDDEN, (s + 1) * HIDDEN));
      const h1 = tf.matMul(x.mul(plan.input_scale[s]), w1x).add(bias);
      const a1 = h1.mul(tf.sigmoid(h1));
      const h2 = tf.matMul(a1, w2).add(b2);
      const a2 = h2.mul(tf.sigmoid(h2));
      const eps = tf.matMul(a2, w3).add(b3);
      const z = tf.randomNormal([n, 2]);
      return x.mul(plan.out_x[s]).add(eps.mul(plan.out_e1[s])).add(z.mul(plan.out_noise[s]));
    });
    x.dispose();
    x = next;
  }
  const particles = await x.data();
  const seconds = (performance.now() - started) / 1000;
  for (const t of [w1x, w2, b2, w3, b3, x]) t.dispose();
  return { seconds, particles };
}

/**
 * ONNX Runtime Web with the `provider` execution provider ('webgpu' or 'wasm'): one session of
 * a one-step graph (onnx-model.js, encoded with the `onnx` namespace of onnx-proto), run once
 * per step with that step's coefficients and first-layer bias as inputs. The session is created
 * and run once before the clock starts. The noise is drawn in JavaScript, like the plain loop's,
 * and handed in as an input each step (timed, as the other peers' noise is). On webgpu the
 * particles stay on the GPU between steps (outputs as GPU buffers, fed back as the next input);
 * the final readback is timed.
 */
export async function onnxRuntime(ort, onnx, provider, plan, start) {
  const n = start.length / 2;
  const onGpu = provider === 'webgpu';
  const session = await ort.InferenceSession.create(stepModel(onnx, inOutMatrices(plan)), {
    executionProviders: [provider],
    ...(onGpu ? { preferredOutputLocation: 'gpu-buffer' } : {}),
  });
  const scalar = (value) => new ort.Tensor('float32', Float32Array.of(value), [1]);
  const feeds = (x, s) => ({
    x,
    z: new ort.Tensor('float32', gaussians(2 * n), [n, 2]),
    bias1: new ort.Tensor('float32', Float32Array.from(plan.hidden_biases.slice(s * HIDDEN, (s + 1) * HIDDEN)), [HIDDEN]),
    input_scale: scalar(plan.input_scale[s]),
    out_x: scalar(plan.out_x[s]),
    out_e1: scalar(plan.out_e1[s]),
    out_noise: scalar(plan.out_noise[s]),
  });
  const first = new ort.Tensor('float32', Float32Array.from(start), [n, 2]);
  // Warm-up: one step, read back, so the kernels are compiled before timing.
  const warm = (await session.run(feeds(first, 0))).x_next;
  await warm.getData();
  warm.dispose();
  const started = performance.now();
  let x = first;
  for (let s = 0; s < plan.out_x.length; s += 1) {
    const next = (await session.run(feeds(x, s))).x_next;
    if (x !== first) x.dispose();
    x = next;
  }
  const particles = await x.getData();
  const seconds = (performance.now() - started) / 1000;
  x.dispose();
  await session.release();
  return { seconds, particles };
}
