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

/** A class, as {@link lazyBase} takes it. */
type Constructor = abstract new (...args: never[]) => object;

/**
 * Makes `load()` the base class of `cls` when the base is first needed, instead of when the
 * module is imported: `LibvirtStream` extends Node's `Duplex`, whose module (and its dozen
 * internal ones) is a sixth of what importing the package would otherwise cost.
 *
 * Until then `cls` and `cls.prototype` have stand-ins for the base and its prototype (Proxies):
 * the first lookup that reaches one (a property read, `in`, `instanceof`, `super()` in the first
 * constructor call) loads the base, makes it the prototype of `cls` (and its prototype that of
 * `cls.prototype`), and is answered by it; from then on the stand-ins are out of the chain and
 * the class is what `class cls extends Base` declares. What differs before that first use:
 * `Object.getPrototypeOf(cls)` and `Object.getPrototypeOf(cls.prototype)` are the stand-ins.
 */
export function lazyBase(cls: Constructor, load: () => Constructor): void {
  let base: Constructor | null = null;
  const link = (): Constructor => {
    if (base === null) {
      base = load();
      Object.setPrototypeOf(cls, base);
      Object.setPrototypeOf(cls.prototype, base.prototype);
    }
    return base;
  };
  // A lookup that reaches a stand-in goes on at the base, as it will once the base is linked.
  const prototypeStandIn = new Proxy(Object.create(null) as object, {
    get: (_t, key, receiver) => Reflect.get(link().prototype, key, receiver),
    set: (_t, key, value, receiver) => Reflect.set(link().prototype, key, value, receiver),
    has: (_t, key) => Reflect.has(link().prototype, key),
    getPrototypeOf: () => link().prototype,
  });
  const constructorStandIn = new Proxy(function base() {}, {
    get: (_t, key, receiver) => Reflect.get(link(), key, receiver),
    set: (_t, key, value, receiver) => Reflect.set(link(), key, value, receiver),
    has: (_t, key) => Reflect.has(link(), key),
    getPrototypeOf: () => link(),
    construct: (_t, args, newTarget) => Reflect.construct(link(), args, newTarget) as object,
    apply: (_t, thisArg, args) => Reflect.apply(link() as unknown as (...a: unknown[]) => unknown, thisArg, args),
  });
  Object.setPrototypeOf(cls.prototype, prototypeStandIn);
  Object.setPrototypeOf(cls, constructorStandIn);
}
