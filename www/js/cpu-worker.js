// @ts-check
// cpu-worker.js: one Web Worker of the CPU path (cpu-workers.js starts them). It instantiates
// the module the page compiled (posted as a WebAssembly.Module, so it is compiled once) with the
// same build's glue, keeps the current run's work (`CpuStepper`), and steps the slices of
// particles it is sent, from their first particle's index: the counter-based noise makes the
// result the same bit for bit as the page's own steps. Messages are handled one at a time, in
// order (the first, which imports the glue, is awaited before the next).
//
// In:  { type: 'init', module, glue }      -> { type: 'ready' }
//      { type: 'work', key, work }          (the run's work, kept until the next)
//      { type: 'steps', id, key, start, count, first, state }
//                                           -> { type: 'stepped', id, state } (state transferred)
// Any failure answers { type: 'failed', id, message }.

/** @typedef {typeof import('../pkg/diffusion_playground.js')} Glue */

/** @type {{ postMessage(message: unknown, transfer?: Transferable[]): void, onmessage: ((event: MessageEvent) => void) | null }} */
const scope = /** @type {any} */ (globalThis);

/** @type {Glue | null} The build's glue, once imported. */
let glue = null;
/** @type {import('../pkg/diffusion_playground.js').CpuStepper | null} */
let stepper = null;
let stepperKey = NaN;

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {any} message */
async function handle(message) {
  if (message?.type !== 'init' && !glue) throw new Error('the worker was not initialised');
  switch (message?.type) {
    case 'init':
      glue = /** @type {Glue} */ (await import(message.glue));
      glue.initSync({ module: message.module });
      scope.postMessage({ type: 'ready' });
      return;
    case 'work':
      stepper?.free();
      stepper = null;
      stepper = new (/** @type {Glue} */ (glue).CpuStepper)(message.work);
      stepperKey = message.key;
      return;
    case 'steps': {
      if (!stepper || message.key !== stepperKey) {
        throw new Error(`no work for run ${message.key} was received before its steps`);
      }
      const state = message.state;
      if (!(state instanceof Float32Array)) throw new Error('the particles must come as a Float32Array');
      stepper.run(message.start, message.count, message.first, state);
      scope.postMessage({ type: 'stepped', id: message.id, state }, [state.buffer]);
      return;
    }
    default:
      throw new Error(`unknown message ${JSON.stringify(message?.type ?? null)}`);
  }
}

/** Messages in order: each handled after the one before has finished. */
let queue = Promise.resolve();

scope.onmessage = (event) => {
  queue = queue.then(() => handle(event.data)).catch((error) => {
    scope.postMessage({ type: 'failed', id: event.data?.id ?? null, message: messageOf(error) });
  });
};
