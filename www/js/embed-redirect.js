// @ts-check
// embed-redirect.js: embed.html's one job, as a classic script file (the page has no inline
// script, so it works under a Content-Security-Policy such as `script-src 'self'`): switch to
// index.html in embed mode, keeping the hash, without a history entry.
//
// A classic script, not a module: it runs as soon as embed.html's <head> is parsed.

// Query parameters (the element's `autosize`) travel with it.
location.replace('index.html?embed=1' + location.search.replace(/^\?/, '&') + location.hash);
