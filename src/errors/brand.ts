/**
 * `instanceof` that survives two copies of libvirt-rpc in one process (two
 * versions in node_modules, or the ESM and CommonJS builds side by side):
 * each branded class marks its prototype with a `Symbol.for` key, and
 * `x instanceof C` looks for C's mark instead of the prototype chain.
 *
 * The check reads the mark of the class it is asked about (`this`), not one
 * captured when a base class was branded: `Symbol.hasInstance` is a static
 * method, so a subclass inherits it, and a subclass without a brand of its
 * own must not answer with its base's mark (every base instance would pass).
 * Such a subclass gets the ordinary prototype-chain test.
 */

/** The static property holding a branded class's own mark. */
const OWN_MARK = Symbol.for('libvirt-rpc.brand');

function brandedHasInstance(this: object, value: unknown): boolean {
  const mark = Object.hasOwn(this, OWN_MARK) ? (this as Record<symbol, symbol>)[OWN_MARK] : undefined;
  if (mark === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[mark] === true;
}

/** Brands `cls`: `x instanceof cls` holds for instances of any copy of it (and of its subclasses). */
export function brandClass(cls: abstract new (...args: never[]) => object, name: string): void {
  const mark = Symbol.for(`libvirt-rpc.${name}`);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, OWN_MARK, { value: mark });
  Object.defineProperty(cls, Symbol.hasInstance, { value: brandedHasInstance });
}
