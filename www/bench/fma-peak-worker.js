// fma-peak-worker.js: one core's part of the bench's FMA peak (fma-peak.js). Instantiates the
// chained-FMA kernel it is sent, calls it until the engine has tiered it up (a WebAssembly
// function is optimised between calls, never within one), waits for 'go', then calls it for the
// time asked and answers how many floating-point operations it did per second.

let run = null;
let seconds = 1;

/** Calls `run(iterations)` for `ms` milliseconds; returns [calls, elapsed ms]. */
function callFor(ms, iterations) {
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < ms) {
    run(iterations);
    calls += 1;
  }
  return [calls, performance.now() - started];
}

onmessage = (event) => {
  const message = event.data;
  if (message.type === 'init') {
    run = new WebAssembly.Instance(message.module).exports.run;
    seconds = message.seconds;
    callFor(message.warmupMs, message.iterations);
    postMessage({ type: 'ready' });
  } else if (message.type === 'go') {
    const [calls, ms] = callFor(1000 * seconds, message.iterations);
    postMessage({ type: 'measured', flopPerSecond: (calls * message.iterations * message.flopPerIteration) / (ms / 1000) });
  }
};
