// The page's modules import each other one way only: no import cycle among www/js (a module
// that must make one above it act emits an event, www/js/events.js). Read from the sources, so
// no browser is needed.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const JS = new URL('../../www/js/', import.meta.url);

/** Each module's static imports of other modules of www/js (by file name). */
function importGraph() {
  const modules = readdirSync(JS).filter((name) => name.endsWith('.js'));
  const graph = new Map();
  for (const name of modules) {
    const source = readFileSync(new URL(name, JS), 'utf8');
    const imported = [...source.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"](\.\/[^'"]+)['"]/gm)].map((m) => path.basename(m[1]));
    graph.set(name, imported.filter((other) => modules.includes(other)));
  }
  return graph;
}

/** The strongly connected components of more than one module (Tarjan), each a cycle. */
function cycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('no import cycle among the page\'s modules', () => {
  const graph = importGraph();
  assert.ok(graph.size > 40, `the modules of www/js were read (${graph.size})`);
  assert.deepEqual(cycles(graph), [], 'modules that import each other in a circle');
});

test('the cycle check finds a cycle where there is one', () => {
  const graph = new Map([['a.js', ['b.js']], ['b.js', ['c.js']], ['c.js', ['a.js']], ['d.js', ['a.js']]]);
  assert.deepEqual(cycles(graph), [['a.js', 'b.js', 'c.js']]);
});

test('events.js, which every module may use to tell one above it, imports nothing', () => {
  assert.deepEqual(importGraph().get('events.js'), []);
});
