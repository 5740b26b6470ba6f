/**
 * Objects built on first use: a value a module exports (a procedure table, an index of it) that
 * costs work to build, built when something first looks at it rather than when the module is
 * imported.
 *
 * @module
 */

/** Every trap a plain object may meet; each one builds the object first. */
const TRAPS = [
  'get',
  'set',
  'has',
  'deleteProperty',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'getPrototypeOf',
  'setPrototypeOf',
  'isExtensible',
  'preventExtensions',
] as const;

/** Node's `util.inspect.custom`, by its registered name (no import of node:util: browsers too). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * An object that `fill` builds on first use: a Proxy of an empty object that `fill` populates
 * (and may freeze) at the first operation of any kind (property read, `in`, `Object.keys`,
 * spread, `JSON.stringify`, `Object.isFrozen`...). The proxy then forwards every operation to
 * that object unchanged, so it has the same keys, values and descriptors the built object would
 * have; the Proxy invariants hold since each trap acts on the target itself. Once built, the
 * handler loses its traps, so V8 forwards without calling back into JavaScript.
 *
 * `util.inspect` (console.log) reads a proxy's target without traps: the target carries an
 * inspect hook until it is built, which builds it and shows the built object.
 */
export function lazyObject<T extends object>(fill: (target: Record<PropertyKey, unknown>) => void): T {
  const target: Record<PropertyKey, unknown> = {};
  const handler: ProxyHandler<Record<PropertyKey, unknown>> = {};
  let built = false;
  const build = (): void => {
    if (built) return;
    built = true;
    delete target[INSPECT];
    for (const trap of TRAPS) delete handler[trap];
    fill(target);
  };
  Object.defineProperty(target, INSPECT, {
    value: () => {
      build();
      return target;
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
  for (const trap of TRAPS) {
    handler[trap] = (...args: unknown[]): never => {
      build();
      return (Reflect[trap] as (...a: unknown[]) => never)(...args);
    };
  }
  return new Proxy(target, handler) as T;
}
