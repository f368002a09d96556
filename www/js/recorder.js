// @ts-check
// recorder.js: records what the picture shows, particles and every layer over them (ghosts,
// arrows, trajectories), as a video file that has a duration and seeks.
//
// Where the browser has WebCodecs, frames are encoded with a VideoEncoder and muxed in the page:
// MP4 (H.264) where H.264 encoding exists, WebM (VP9, else VP8) otherwise, with the muxers
// mp4-muxer and webm-muxer from npm (copied to www/vendor/ by `cargo xtask build-wasm`, loaded
// only when a recording starts). Both write the duration and an index (MP4's moov, WebM's Cues),
// so players show the length and can seek. Elsewhere MediaRecorder records the same composite
// picture as WebM; its files carry no duration (a MediaRecorder limitation), which the caller
// is told through `VideoRecording.seekable`.
//
// The picture is composited after each render into a canvas the recorder owns (a WebGPU canvas
// keeps its picture only until the browser presents it), and that canvas is encoded at a steady
// RECORD_FPS, so a paused run still fills the video's time with its last picture.

/** Frames per second of recordings. */
export const RECORD_FPS = 30;
/** A key frame every this many seconds (what seeking lands on). */
const KEY_FRAME_SECONDS = 1;
/** Bits per second of encoded video per pixel of the picture (about 4 Mbit/s at 800 x 800). */
const BITS_PER_PIXEL_SECOND = 6;
/** Frames waiting in the encoder beyond which new frames are skipped (one second's worth). */
const MAX_QUEUED_FRAMES = RECORD_FPS;
/** Microseconds per second (WebCodecs timestamps are in microseconds). */
const MICROSECONDS = 1_000_000;

/** Where the muxers are served from (see `cargo xtask build-wasm`). */
const MP4_MUXER_URL = new URL('../vendor/mp4-muxer/mp4-muxer.mjs', import.meta.url).href;
const WEBM_MUXER_URL = new URL('../vendor/webm-muxer/webm-muxer.mjs', import.meta.url).href;

/**
 * The formats tried, best first: WebCodecs codec string, muxer codec name, container.
 * H.264 constrained baseline at level 5.1 (frames up to 4096 x 2304), VP9 profile 0, VP8.
 */
const FORMATS = [
  { codec: 'avc1.42C033', muxerCodec: 'avc', container: 'mp4', type: 'video/mp4', extension: 'mp4' },
  { codec: 'vp09.00.51.08', muxerCodec: 'V_VP9', container: 'webm', type: 'video/webm', extension: 'webm' },
  { codec: 'vp8', muxerCodec: 'V_VP8', container: 'webm', type: 'video/webm', extension: 'webm' },
];

/**
 * @typedef {object} VideoRecording
 * @property {Blob} blob
 * @property {string} type        MIME type, e.g. "video/mp4"
 * @property {string} extension   file name extension, "mp4" or "webm"
 * @property {number} frames      frames in the file
 * @property {boolean} seekable   true when the file has a duration and an index
 * @property {string} codec       what encoded it
 */

/** Whether this browser can record at all. */
export function recordingSupported() {
  return webCodecsAvailable() || (typeof MediaRecorder !== 'undefined' && typeof HTMLCanvasElement.prototype.captureStream === 'function');
}

function webCodecsAvailable() {
  return typeof VideoEncoder !== 'undefined' && typeof VideoFrame !== 'undefined';
}

/**
 * Even, since H.264 encodes whole 2 x 2 chroma blocks.
 * @param {number} n
 */
function even(n) {
  return Math.max(2, n - (n % 2));
}

/**
 * Draws the particle canvas and, when shown, the layers canvas over it into `target` (sized to
 * the particle canvas, rounded down to even sizes when `evenSize`). The PNG export uses it too.
 * @param {HTMLCanvasElement} target
 * @param {HTMLCanvasElement} particles
 * @param {HTMLCanvasElement | null} layers
 */
export function composite(target, particles, layers, evenSize = false) {
  const width = evenSize ? even(particles.width) : particles.width;
  const height = evenSize ? even(particles.height) : particles.height;
  if (target.width !== width || target.height !== height) {
    target.width = width;
    target.height = height;
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (target.getContext('2d'));
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(particles, 0, 0);
  if (layers && !layers.hidden) ctx.drawImage(layers, 0, 0);
}

/** Records the composite picture; create with `VideoRecorder.start`. */
export class VideoRecorder {
  /**
   * Starts recording the picture of `particles` with `layers` over it.
   * @param {HTMLCanvasElement} particles
   * @param {HTMLCanvasElement | null} layers
   * @returns {Promise<VideoRecorder>}
   */
  static async start(particles, layers) {
    const recorder = new VideoRecorder(particles, layers);
    recorder.capture();
    if (webCodecsAvailable()) {
      const format = await supportedFormat(recorder.picture.width, recorder.picture.height);
      if (format) {
        await recorder.startEncoder(format);
        return recorder;
      }
    }
    recorder.startMediaRecorder();
    return recorder;
  }

  /**
   * @param {HTMLCanvasElement} particles
   * @param {HTMLCanvasElement | null} layers
   */
  constructor(particles, layers) {
    this.particles = particles;
    this.layers = layers;
    /** The composite picture that is encoded. */
    this.picture = document.createElement('canvas');
    /** Frame times passed, and frames actually encoded (fewer when the encoder fell behind). */
    this.frames = 0;
    this.encoded = 0;
    /** @type {Error | null} */
    this.failure = null;
    this.timer = 0;
    this.finish = async () => /** @type {VideoRecording} */ ({ blob: new Blob(), type: '', extension: '', frames: 0, seekable: false, codec: '' });
  }

  /** Copies the picture as it is now; call right after each render, in the same task. */
  capture() {
    composite(this.picture, this.particles, this.layers, true);
  }

  /** @param {typeof FORMATS[number] & { bitrate: number }} format */
  async startEncoder(format) {
    const { Muxer, ArrayBufferTarget } = await import(format.container === 'mp4' ? MP4_MUXER_URL : WEBM_MUXER_URL);
    const { width, height } = this.picture;
    const target = new ArrayBufferTarget();
    const video = { codec: format.muxerCodec, width, height, frameRate: RECORD_FPS };
    const muxer = format.container === 'mp4' ? new Muxer({ target, video, fastStart: 'in-memory' }) : new Muxer({ target, video });
    const encoder = new VideoEncoder({
      output: (chunk, meta) => muxer.addVideoChunk(chunk, meta),
      error: (error) => {
        this.failure = error;
      },
    });
    encoder.configure({ codec: format.codec, width, height, bitrate: format.bitrate, framerate: RECORD_FPS, ...(format.container === 'mp4' ? { avc: { format: 'avc' } } : {}) });
    const frameMicroseconds = MICROSECONDS / RECORD_FPS;
    let nextKeyFrame = 0;
    const encodeFrame = () => {
      const index = this.frames;
      this.frames += 1;
      if (this.failure || encoder.state !== 'configured') return;
      // An encoder that falls behind (a slow machine) skips frames rather than queueing them
      // without bound; the next frame encoded after a skipped key frame is a key frame.
      if (encoder.encodeQueueSize > MAX_QUEUED_FRAMES) return;
      const keyFrame = index >= nextKeyFrame;
      if (keyFrame) nextKeyFrame = index + KEY_FRAME_SECONDS * RECORD_FPS;
      // Constant frame rate: the i-th frame is at i / RECORD_FPS s, whatever the timer's jitter.
      const frame = new VideoFrame(this.picture, { timestamp: Math.round(index * frameMicroseconds), duration: Math.round(frameMicroseconds) });
      encoder.encode(frame, { keyFrame });
      frame.close();
      this.encoded += 1;
    };
    const started = performance.now();
    encodeFrame();
    // Catch up to real time on every tick, so a late timer does not shorten the video.
    this.timer = window.setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * RECORD_FPS) + 1;
      while (this.frames < due) encodeFrame();
    }, 1000 / RECORD_FPS);
    this.finish = async () => {
      await encoder.flush();
      encoder.close();
      if (this.failure) throw this.failure;
      muxer.finalize();
      const blob = new Blob([target.buffer], { type: format.type });
      return { blob, type: format.type, extension: format.extension, frames: this.encoded, seekable: true, codec: format.codec };
    };
  }

  startMediaRecorder() {
    const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error('this browser can record neither with WebCodecs nor as WebM');
    /** @type {Blob[]} */
    const chunks = [];
    const recorder = new MediaRecorder(this.picture.captureStream(RECORD_FPS), { mimeType: type });
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve));
    // A chunk every second, so a long recording does not sit in one buffer.
    recorder.start(1000);
    const started = performance.now();
    this.finish = async () => {
      if (recorder.state !== 'inactive') recorder.stop();
      await stopped;
      this.frames = Math.round(((performance.now() - started) / 1000) * RECORD_FPS);
      const blob = new Blob(chunks, { type: 'video/webm' });
      return { blob, type: 'video/webm', extension: 'webm', frames: this.frames, seekable: false, codec: type };
    };
  }

  /**
   * Stops and resolves to the video.
   * @returns {Promise<VideoRecording>}
   */
  stop() {
    clearInterval(this.timer);
    return this.finish();
  }
}

/**
 * The first format of FORMATS this browser encodes at `width` x `height`, with its bitrate.
 * @param {number} width
 * @param {number} height
 * @returns {Promise<(typeof FORMATS[number] & { bitrate: number }) | null>}
 */
async function supportedFormat(width, height) {
  const bitrate = Math.round(BITS_PER_PIXEL_SECOND * width * height);
  for (const format of FORMATS) {
    try {
      const { supported } = await VideoEncoder.isConfigSupported({ codec: format.codec, width, height, bitrate, framerate: RECORD_FPS });
      if (supported) return { ...format, bitrate };
    } catch {
      // A codec string this browser does not parse: try the next.
    }
  }
  return null;
}
