/**
 * The compile-time check of a module that the browser build swaps for its `x.browser.ts` twin
 * (scripts/build-browser.mjs). Every module importing `./x.js` is type-checked against `x.ts`
 * alone, so the twin must export the same names, with types that fit where `x.ts`'s do. Types only.
 *
 * @module
 */

/**
 * `Browser` when it exports exactly the names of `Node`, each assignable to Node's; otherwise a
 * compile error (what is missing or does not fit, or an extra export that must be `never`).
 * Each twin checks itself, importing both modules as types only (`import type * as NodeTwin from
 * './x.js'`, `import type * as ThisTwin from './x.browser.js'`):
 * `type _Checked = Twin<typeof NodeTwin, typeof ThisTwin>;`.
 */
export type Twin<Node, Browser extends Node & { [K in Exclude<keyof Browser, keyof Node>]: never }> = Browser;
