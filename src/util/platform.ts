/**
 * What the engine needs from its host beyond the language: Node's build. The browser build
 * replaces this module with `platform.browser.ts` (same exports).
 *
 * @module
 */

/** Runs `fn` after the current operation, before I/O and timers (`process.nextTick`). */
export function nextTick(fn: () => void): void {
  process.nextTick(fn);
}

/** Reports a problem that is not any caller's error (`process.emitWarning`, type `LibvirtRpcWarning`). */
export function emitWarning(message: string): void {
  process.emitWarning(message, 'LibvirtRpcWarning');
}

/** The environment for URI defaults and `LIBVIRT_DEBUG` (`process.env`). */
export function hostEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
