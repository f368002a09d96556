// onnx-model.js: the benchmark's network as an ONNX model, for the ONNX Runtime Web peer
// (peers.js). Built in the page from the weights `peer_plan` hands out, encoded with onnx-proto
// (the ONNX protobuf schema compiled for protobuf.js, from npm; `cargo xtask bench` copies it and
// protobuf.js's minimal runtime to www/vendor/peers/onnx/).
//
// The graph is ONE step of the reverse SDE (Euler-Maruyama), for any number of particles N:
//   x_next = out_x * x + out_e1 * MLP(input_scale * x) + out_noise * z
// with MLP(u) = W3 silu(W2 silu(W1x u + bias1) + b2) + b3 and silu(a) = a * sigmoid(a). The
// step's coefficients and first-layer bias (the time features folded in) are inputs, so one
// session serves every step; only standard ONNX ops (Mul, MatMul, Add, Sigmoid) appear, all of
// which ONNX Runtime's wasm and webgpu execution providers implement.

/** The ONNX IR version and default-domain opset the model declares. */
const IR_VERSION = 8;
const OPSET_VERSION = 17;
/** The name of the batch (particle count) dimension, left free. */
const BATCH = 'N';
/** Coordinates per particle. */
const DIM = 2;

/**
 * Loads onnx-proto from `folder` (a URL ending in '/'). It ships as CommonJS only (no browser
 * build), with one import, protobufjs/minimal, whose browser build is CommonJS-compatible too;
 * both are evaluated here with a `require` that hands onnx-proto that runtime. Returns the
 * `onnx` namespace (onnx.ModelProto and friends).
 */
export async function loadOnnxProto(folder) {
  const protobuf = await evaluateCommonJs(new URL('protobuf.min.js', folder), () => undefined);
  const { onnx } = await evaluateCommonJs(new URL('onnx.js', folder), () => protobuf);
  return onnx;
}

/** Fetches a CommonJS file and runs it with the given `require`; returns its `module.exports`. */
async function evaluateCommonJs(url, require) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const module = { exports: {} };
  new Function('require', 'module', 'exports', await response.text())(require, module, module.exports);
  return module.exports;
}

/**
 * The encoded ONNX model (a Uint8Array) of one reverse step. `matrices` holds the network as
 * row-major [in][out] matrices for `u @ W`: w1x [2 x H] (the first layer's columns for x; the
 * time-feature columns arrive folded into bias1), w2 [H x H], b2 [H], w3 [H x 2], b3 [2].
 *
 * Inputs: x [N, 2], z [N, 2] (standard normal noise), bias1 [H], and the step's coefficients
 * input_scale, out_x, out_e1, out_noise as [1] tensors. Output: x_next [N, 2].
 */
export function stepModel(onnx, { w1x, w2, b2, w3, b3 }) {
  const hidden = b2.length;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const valueInfo = (name, dims) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const initializer = (name, dims, values) => ({ name, dims, dataType: FLOAT, floatData: Array.from(values) });
  const node = (opType, inputs, output) => ({ name: output, opType, input: inputs, output: [output] });
  const coefficients = ['input_scale', 'out_x', 'out_e1', 'out_noise'];
  const graph = {
    name: 'reverse_sde_step',
    input: [valueInfo('x', [BATCH, DIM]), valueInfo('z', [BATCH, DIM]), valueInfo('bias1', [hidden]), ...coefficients.map((c) => valueInfo(c, [1]))],
    output: [valueInfo('x_next', [BATCH, DIM])],
    initializer: [
      initializer('W1x', [DIM, hidden], w1x),
      initializer('W2', [hidden, hidden], w2),
      initializer('b2', [hidden], b2),
      initializer('W3', [hidden, DIM], w3),
      initializer('b3', [DIM], b3),
    ],
    node: [
      node('Mul', ['x', 'input_scale'], 'u'),
      node('MatMul', ['u', 'W1x'], 'u_W1x'),
      node('Add', ['u_W1x', 'bias1'], 'h1'),
      node('Sigmoid', ['h1'], 'sigmoid_h1'),
      node('Mul', ['h1', 'sigmoid_h1'], 'a1'),
      node('MatMul', ['a1', 'W2'], 'a1_W2'),
      node('Add', ['a1_W2', 'b2'], 'h2'),
      node('Sigmoid', ['h2'], 'sigmoid_h2'),
      node('Mul', ['h2', 'sigmoid_h2'], 'a2'),
      node('MatMul', ['a2', 'W3'], 'a2_W3'),
      node('Add', ['a2_W3', 'b3'], 'eps'),
      node('Mul', ['x', 'out_x'], 'kept'),
      node('Mul', ['eps', 'out_e1'], 'drift'),
      node('Mul', ['z', 'out_noise'], 'noise'),
      node('Add', ['kept', 'drift'], 'mean'),
      node('Add', ['mean', 'noise'], 'x_next'),
    ],
  };
  const model = onnx.ModelProto.fromObject({
    irVersion: IR_VERSION,
    producerName: 'diffusion-playground bench',
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
