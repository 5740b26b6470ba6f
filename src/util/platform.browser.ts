/**
 * What the engine needs from its host beyond the language: the browser's build (replaces
 * `platform.ts` there; same exports).
 *
 * @module
 */
import type { Twin } from './twin.js';
import type * as NodeTwin from './platform.js';
import type * as ThisTwin from './platform.browser.js';

/** Runs `fn` after the current operation (a microtask: a page has no `process.nextTick`). */
export function nextTick(fn: () => void): void {
  queueMicrotask(fn);
}

/** Reports a problem that is not any caller's error (`console.warn`). */
export function emitWarning(message: string): void {
  console.warn(`LibvirtRpcWarning: ${message}`);
}

/** The environment: a page has none. */
export function hostEnv(): Readonly<Record<string, string | undefined>> {
  return {};
}

/** The compiler holds this module to platform.ts's exports (see util/twin.ts). */
type _Checked = Twin<typeof NodeTwin, typeof ThisTwin>;
