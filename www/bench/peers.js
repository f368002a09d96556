// peers.js: the benchmark's peers, run in the same page as ours: the same network (weights from
// the wasm's `peer_plan`), the same reverse SDE (Euler-Maruyama; its coefficients and the first
// layer's time biases also from `peer_plan`), the same particle count and steps, written the way
// a user without this project would: a plain JavaScript loop, and TensorFlow.js (webgpu and wasm
// backends, from npm, served from www/vendor/peers/ by `cargo xtask bench`). Each returns the
// seconds of the whole run (a readback at the end, so GPU work is finished) and the particles.

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

/** TensorFlow.js on `backend` ('webgpu' or 'wasm'): batched matrix products per step. */
export async function tensorflow(tf, backend, plan, start) {
  await tf.setBackend(backend);
  await tf.ready();
  const w = Float32Array.from(plan.weights);
  const n = start.length / 2;
  // [in][out] matrices for x @ W: the first layer's x columns, W2^T, W3^T.
  const w1x = tf.tensor2d(Array.from({ length: 2 * HIDDEN }, (_, i) => w[W1 + (i % HIDDEN) * FEATURES + Math.floor(i / HIDDEN)]), [2, HIDDEN]);
  const w2 = tf.tensor2d(Array.from({ length: HIDDEN * HIDDEN }, (_, i) => w[W2 + (i % HIDDEN) * HIDDEN + Math.floor(i / HIDDEN)]), [HIDDEN, HIDDEN]);
  const b2 = tf.tensor1d(w.slice(B2, B2 + HIDDEN));
  const w3 = tf.tensor2d(Array.from({ length: 2 * HIDDEN }, (_, i) => w[W3 + (i % 2) * HIDDEN + Math.floor(i / 2)]), [HIDDEN, 2]);
  const b3 = tf.tensor1d(w.slice(B3, B3 + 2));
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
