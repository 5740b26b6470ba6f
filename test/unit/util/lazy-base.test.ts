/**
 * lazyBase (src/util/lazy.ts): a class whose base is loaded on its first use, and from then on
 * is the class `extends` would have made.
 */
import { describe, expect, it } from 'vitest';
import { lazyBase } from '../../../src/util/lazy.js';

class Base {
  static kind = 'base';
  readonly made: string;
  constructor(what: string) {
    this.made = what;
  }
  hello(): string {
    return `hello from ${this.made}`;
  }
}

/** A class declared on a stand-in, with `Base` loaded lazily; `loads` counts the loads. */
function lazyClass() {
  let loads = 0;
  class StandIn {}
  class Derived extends (StandIn as unknown as typeof Base) {
    extra(): string {
      return `${super.hello()}, derived`;
    }
  }
  lazyBase(Derived, () => {
    loads++;
    return Base;
  });
  return { Derived, loads: () => loads };
}

describe('lazyBase', () => {
  it('loads nothing until the base is needed', () => {
    const { loads } = lazyClass();
    expect(loads()).toBe(0);
  });

  it('constructs through the base at the first `new`, once', () => {
    const { Derived, loads } = lazyClass();
    const d = new Derived('one');
    expect(loads()).toBe(1);
    expect(d).toBeInstanceOf(Derived);
    expect(d).toBeInstanceOf(Base);
    expect(d.made).toBe('one');
    expect(d.extra()).toBe('hello from one, derived');
    expect(new Derived('two').extra()).toBe('hello from two, derived');
    expect(loads()).toBe(1);
    expect(Object.getPrototypeOf(Derived)).toBe(Base);
    expect(Object.getPrototypeOf(Derived.prototype)).toBe(Base.prototype);
  });

  it('answers lookups on the prototype and the class from the base before any instance', () => {
    const a = lazyClass();
    expect(typeof (a.Derived.prototype as Base).hello).toBe('function');
    expect(a.loads()).toBe(1);
    const b = lazyClass();
    expect('hello' in b.Derived.prototype).toBe(true);
    const c = lazyClass();
    expect(c.Derived.kind).toBe('base');
    const d = lazyClass();
    expect(d.Derived.prototype instanceof Base).toBe(true);
    expect(d.loads()).toBe(1);
    const e = lazyClass();
    expect(Object.getPrototypeOf(Object.getPrototypeOf(e.Derived.prototype))).toBe(Base.prototype);
  });

  it('keeps subclasses declared before the first use working', () => {
    const { Derived, loads } = lazyClass();
    class Sub extends Derived {
      sub(): string {
        return `${this.extra()}, sub`;
      }
    }
    expect(loads()).toBe(0);
    const s = new Sub('s');
    expect(s.sub()).toBe('hello from s, derived, sub');
    expect(s).toBeInstanceOf(Base);
    expect(loads()).toBe(1);
  });
});
