// Type declarations of the <diffusion-playground> element (js/element.js), the entry of the npm
// package built from www/ (www/package.json): its attributes (the share link's settings), methods
// and events. docs/embedding.md has the prose.

/** A setting named as in a share link (`sampler`, `steps`, `t`, `dataset`, ...), and its value. */
export type PlaygroundSettings = Record<string, string | number | boolean>;

/** What the widget's events carry. */
export interface PlaygroundEventDetail {
  /** The first frame is on screen; the backend it runs on. */
  ready: { backend: 'webgpu' | 'cpu' };
  /** A drawn frame moved the particles: the step, of how many, the time t, and whether the run ended. */
  step: { step: number; total: number; t: number; done: boolean };
  /** A run reached the data. */
  done: Record<string, never>;
}

/** The element's events by name. */
export type PlaygroundEventMap = { [K in keyof PlaygroundEventDetail]: CustomEvent<PlaygroundEventDetail[K]> };

/**
 * The widget: the playground's embeddable page in a lazily loaded iframe, set up by its
 * attributes (any setting of a share link, but `class`, the guided class, is `guide-class`; plus
 * `height`, `title` and `src`, another copy of `embed.html` over http(s)) and driven by these
 * methods; commands given before `ready` wait for it.
 */
export declare class DiffusionPlaygroundElement extends HTMLElement {
  /** Whether the embedded page has said it is ready for commands. */
  readonly ready: boolean;
  /** Runs the reverse process (from the prior when the last run had finished). */
  play(): void;
  /** Pauses the run. */
  pause(): void;
  /** Returns the particles to the prior noise; the run restarts. */
  reset(): void;
  /** Changes settings, named as in a share link; rejected ones are reported in the widget. */
  set(settings: PlaygroundSettings): void;
  addEventListener<K extends keyof PlaygroundEventMap>(
    type: K,
    listener: (this: DiffusionPlaygroundElement, event: PlaygroundEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof PlaygroundEventMap>(
    type: K,
    listener: (this: DiffusionPlaygroundElement, event: PlaygroundEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/**
 * Shows the playground of the site at `base` (where its `embed.html` is) in the elements created
 * from now on: for notes built with a bundler, whose bundle is not next to the site's files.
 * Returns the embed page's URL; throws for anything but an http(s) URL.
 */
export declare function useSite(base: string | URL): string;

/** The embed page's URL for a `src` attribute, and why `src` was refused (null when it was not). */
export declare function embedUrlFor(src: string | null, autosize?: boolean): { url: string; refused: string | null };

declare global {
  interface HTMLElementTagNameMap {
    'diffusion-playground': DiffusionPlaygroundElement;
  }
}
