// @ts-check
// no-modules.js: loaded by index.html with `nomodule`, so only browsers without JavaScript
// modules run it (and they are the ones that cannot run the playground). Plain ES5; a file rather
// than inline script, so the page works under a Content-Security-Policy such as `script-src 'self'`.

/** @type {HTMLElement} */ (document.getElementById('notices')).textContent =
  'This browser is too old for Diffusion Playground: it does not support JavaScript modules.';
