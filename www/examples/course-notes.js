// @ts-check
// course-notes.js: figure 5 of the example notes, driven from the prose through the
// <diffusion-playground> element's API (play, set; the step and done events). A file, not an
// inline script, so the notes work under a strict Content-Security-Policy.

const figure = /** @type {any} */ (document.getElementById('steered'));
const slider = /** @type {HTMLInputElement} */ (document.getElementById('scrub-t'));
const sliderValue = /** @type {HTMLOutputElement} */ (document.getElementById('scrub-t-value'));
const status = /** @type {HTMLElement} */ (document.getElementById('steered-status'));

slider.addEventListener('input', () => {
  sliderValue.value = Number(slider.value).toFixed(2);
  figure.set({ t: Number(slider.value), playing: false });
});

for (const button of document.querySelectorAll('button[data-sampler]')) {
  button.addEventListener('click', () => {
    figure.set({ sampler: /** @type {HTMLElement} */ (button).dataset.sampler, t: 1 });
    figure.play();
  });
}

figure.addEventListener('step', (/** @type {CustomEvent} */ event) => {
  const { step, total, t } = event.detail;
  status.textContent = `step ${step} of ${total}, t = ${Number(t).toFixed(3)}`;
});
figure.addEventListener('done', () => {
  status.textContent += ' (done)';
});
