/**
 * `instanceof` that survives two copies of libvirt-rpc in one process (two
 * versions in node_modules, or the ESM and CommonJS builds side by side):
 * each error class marks its prototype with a `Symbol.for` key, and its
 * `Symbol.hasInstance` looks for that mark instead of the prototype chain.
 */

/** Brands `cls`: `x instanceof cls` holds for instances of any copy of it (and of its subclasses). */
export function brandClass(cls: abstract new (...args: never[]) => object, name: string): void {
  const mark = Symbol.for(`libvirt-rpc.${name}`);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown): boolean =>
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[mark] === true,
  });
}
