// @ts-check
// canvas-size.js: a 2-D canvas's drawing buffer sized from its CSS box and the device pixel
// ratio (resized only when that changed, since resizing clears it), for the page's charts.

/**
 * Sizes `canvas`'s drawing buffer to its displayed size in device pixels.
 * @param {HTMLCanvasElement} canvas
 * @returns {{ ratio: number, width: number, height: number }} the pixel ratio and the buffer size
 */
export function sizeToBox(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const box = canvas.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width * ratio));
  const height = Math.max(1, Math.round(box.height * ratio));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  return { ratio, width, height };
}
