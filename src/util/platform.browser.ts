/**
 * What the engine needs from its host beyond the language: the browser's build (replaces
 * `platform.ts` there; same exports).
 *
 * @module
 */

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
