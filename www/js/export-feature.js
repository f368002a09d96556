// @ts-check
// export-feature.js: what the share and export buttons do: copy the link, write the embed
// snippets, save the picture as PNG, record it as a video (recorder.js), each with its notice.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { publishState } from './address-bar.js';
import { toHash } from './link.js';
import { canvasPng, copyText, download, embedSnippets, shareUrl } from './export.js';
import { VideoRecorder, recordingSupported } from './recorder.js';

/** @type {VideoRecorder | null} The recording of the Record button, or null. */
let recording = null;
/** Recordings made through window.dp (tests); they capture every frame as the button's does. */
const recordings = new Set();

/** Every recording in progress takes the picture as it is now (right after a render). */
export function captureForRecordings() {
  recording?.capture();
  for (const recorder of recordings) recorder.capture();
}

/** Whether any recording is running. */
export function recordingsRunning() {
  return recording !== null || recordings.size > 0;
}

/** The picture now (particles and layers) as a PNG blob: rendered and captured in one task. */
export function pngNow() {
  if (!page.pg || page.creating) return Promise.reject(new Error('the playground is not running'));
  page.pg.render();
  return canvasPng(ui.canvas(), ui.layersCanvas());
}

/**
 * Records `ms` milliseconds of the picture as the Record button does; resolves to the video's
 * description and an object URL of the file (for a test to load into a <video>).
 */
export async function recordFor(/** @type {number} */ ms) {
  const recorder = await VideoRecorder.start(ui.canvas(), ui.layersCanvas());
  recordings.add(recorder);
  await new Promise((resolve) => setTimeout(resolve, ms));
  recordings.delete(recorder);
  const { blob, ...rest } = await recorder.stop();
  return { ...rest, size: blob.size, url: URL.createObjectURL(blob) };
}

/**
 * @param {string} text
 * @param {string} what
 */
async function copyWithFallback(text, what) {
  if (await copyText(text)) ui.notice(`${what} is on the clipboard.`, 'info');
  else ui.notice(`${what} (copy it from here): ${text}`, 'info');
}

/**
 * Downloads the particles now as `format` ("csv" or "npy"), written by the wasm as dp-sample
 * writes them (`app::sample_files`).
 * @param {'csv' | 'npy'} format
 */
function particlesFile(format) {
  const { pg, wasm } = page;
  if (!pg || page.creating) return;
  const step = pg.step_index;
  pg.read_positions().then(
    (/** @type {Float32Array} */ positions) => {
      const bytes = Uint8Array.from(wasm.particles_file(positions, step, format));
      const type = format === 'csv' ? 'text/csv' : 'application/octet-stream';
      download(new Blob([bytes], { type }), `${fileStem()}-step${step}.${format}`);
    },
    (/** @type {unknown} */ error) => ui.notice(`The particles could not be written: ${messageOf(error)}`, 'error'),
  );
}

/** How many particles' paths the "Paths" buttons write. */
const TRAJECTORY_PARTICLES = 1024;

/**
 * Downloads the paths of the first TRAJECTORY_PARTICLES particles through the current run as
 * `format`, replayed by the wasm on the CPU from the run's start (`app::trajectory`).
 * @param {'csv' | 'npy'} format
 */
function trajectoryFile(format) {
  const { pg } = page;
  if (!pg || page.creating) return;
  try {
    const particles = Math.min(TRAJECTORY_PARTICLES, page.state.particles);
    const bytes = Uint8Array.from(pg.trajectory_file(particles, format));
    const type = format === 'csv' ? 'text/csv' : 'application/octet-stream';
    download(new Blob([bytes], { type }), `${fileStem()}-paths.${format}`);
  } catch (error) {
    ui.notice(`The paths could not be written: ${messageOf(error)}`, 'error');
  }
}

/**
 * Downloads the run as a NumPy script (`app::python_export`): the same samples from the same
 * seed, with the share link in its header and the nearest k-diffusion and diffusers calls.
 */
function pythonScript() {
  const { pg } = page;
  if (!pg || page.creating) return;
  try {
    publishState();
    const script = pg.python_script(`the page, ${shareUrl(toHash(page.state))}`);
    download(new Blob([script], { type: 'text/x-python' }), pg.python_script_name());
    ui.notice(`The run is written as a NumPy script: python3 ${pg.python_script_name()} --out samples.npy reruns it from the prior noise and lands on the particles this run ends with (--start points.csv for other starts).`, 'info');
  } catch (error) {
    ui.notice(`The code could not be written: ${messageOf(error)}`, 'error');
  }
}

/** File name stem of exports: the dataset and sampler on screen. */
function fileStem() {
  return `diffusion-playground-${page.state.dataset}-${page.state.sampler}`;
}

/**
 * The share and export handlers (bound to their buttons by controls.js). `play` starts the run
 * when a recording starts.
 * @param {{ play: () => void }} run
 */
export function exportHandlers(run) {
  return {
    share() {
      publishState();
      copyWithFallback(shareUrl(toHash(page.state)), 'The link to this view');
    },
    embed() {
      publishState();
      const { iframe, element } = embedSnippets(toHash(page.state));
      ui.showEmbedDialog(iframe, element);
    },
    copy(/** @type {string} */ text, /** @type {string} */ what) {
      copyWithFallback(text, what);
    },
    csv() {
      particlesFile('csv');
    },
    npy() {
      particlesFile('npy');
    },
    trajectory_csv() {
      trajectoryFile('csv');
    },
    trajectory_npy() {
      trajectoryFile('npy');
    },
    python() {
      pythonScript();
    },
    png() {
      pngNow().then(
        (blob) => download(blob, `${fileStem()}.png`),
        (error) => ui.notice(`The PNG could not be made: ${messageOf(error)}`, 'error'),
      );
    },
    record() {
      if (recording) {
        const current = recording;
        recording = null;
        ui.setRecording(false);
        current.stop().then(
          (video) => {
            download(video.blob, `${fileStem()}.${video.extension}`);
            if (!video.seekable) {
              ui.notice('This browser records without WebCodecs: the WebM file has no duration, so some players cannot seek in it.', 'info');
            }
          },
          (error) => ui.notice(`The recording failed: ${messageOf(error)}`, 'error'),
        );
        return;
      }
      if (!recordingSupported()) {
        ui.notice('This browser cannot record the picture as a video (neither WebCodecs nor MediaRecorder is available).', 'error');
        return;
      }
      if (!page.pg || page.creating) return;
      page.pg.render();
      VideoRecorder.start(ui.canvas(), ui.layersCanvas()).then(
        (recorder) => {
          recording = recorder;
          ui.setRecording(true);
          if (!page.playing) run.play();
        },
        (error) => ui.notice(`Recording could not start: ${messageOf(error)}`, 'error'),
      );
    },
  };
}
