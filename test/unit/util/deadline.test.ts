/**
 * The one deadline/abort helper: a fired signal gives an AbortError whose cause is the reason, a
 * passed timeout the caller's TimeoutError, listeners and timers go away when the work settles,
 * and teardown/onFail run as documented.
 */
import { describe, expect, it, vi } from 'vitest';
import { AbortError, TimeoutError } from '../../../src/errors/index.js';
import { armBound, bounded, Deadline, delay, linkedSignal, raceSignal, timeoutMs } from '../../../src/util/deadline.js';

describe('timeoutMs', () => {
  it('is undefined without a finite timeout and at least 0 otherwise', () => {
    expect(timeoutMs(undefined)).toBeUndefined();
    expect(timeoutMs(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(timeoutMs(Number.NaN)).toBeUndefined();
    expect(timeoutMs(-5)).toBe(0);
    expect(timeoutMs(12)).toBe(12);
  });
});

describe('armBound', () => {
  it('arms nothing without a signal or a finite timeout', () => {
    const giveUp = vi.fn();
    expect(armBound({}, giveUp, 'x')).toBeUndefined();
    expect(armBound({ timeout: Number.POSITIVE_INFINITY }, giveUp, 'x')).toBeUndefined();
    expect(giveUp).not.toHaveBeenCalled();
  });

  it('gives up at once with an AbortError when the signal has already fired', () => {
    const giveUp = vi.fn();
    const reason = new Error('stop');
    armBound({ signal: AbortSignal.abort(reason) }, giveUp, 'x');
    expect(giveUp).toHaveBeenCalledTimes(1);
    const err = giveUp.mock.calls[0]![0] as AbortError;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
  });

  it('gives up once when the signal fires, and removes its listener', () => {
    const c = new AbortController();
    const giveUp = vi.fn();
    const add = vi.spyOn(c.signal, 'addEventListener');
    const remove = vi.spyOn(c.signal, 'removeEventListener');
    armBound({ signal: c.signal, timeout: 60_000 }, giveUp, 'x');
    c.abort('why');
    c.abort('again');
    expect(giveUp).toHaveBeenCalledTimes(1);
    expect((giveUp.mock.calls[0]![0] as Error).cause).toBe('why');
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('gives up with the worded TimeoutError when the timeout passes', async () => {
    vi.useFakeTimers();
    try {
      const giveUp = vi.fn();
      armBound({ timeout: 25 }, giveUp, 'connecting to x');
      vi.advanceTimersByTime(24);
      expect(giveUp).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      const err = giveUp.mock.calls[0]![0] as TimeoutError;
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err.message).toBe('timed out after 25 ms connecting to x');
      expect(err.timeout).toBe(25);
      const custom = vi.fn();
      armBound({ timeout: 5 }, custom, (ms) => new TimeoutError(`PROC timed out after ${ms} ms`, ms));
      vi.advanceTimersByTime(5);
      expect((custom.mock.calls[0]![0] as Error).message).toBe('PROC timed out after 5 ms');
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing after disarm', () => {
    vi.useFakeTimers();
    try {
      const c = new AbortController();
      const giveUp = vi.fn();
      const disarm = armBound({ signal: c.signal, timeout: 10 }, giveUp, 'x')!;
      disarm();
      c.abort();
      vi.advanceTimersByTime(20);
      expect(giveUp).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('bounded', () => {
  it('resolves with the work and runs its teardown once', async () => {
    const teardown = vi.fn();
    const c = new AbortController();
    await expect(
      bounded<number>({ signal: c.signal, timeoutReason: 'x' }, (ok) => {
        queueMicrotask(() => ok(7));
        return teardown;
      }),
    ).resolves.toBe(7);
    expect(teardown).toHaveBeenCalledTimes(1);
    c.abort(); // nothing listens any more
  });

  it('runs the teardown of work that settled synchronously', async () => {
    const teardown = vi.fn();
    await expect(
      bounded<number>({ timeoutReason: 'x' }, (ok) => {
        ok(1);
        return teardown;
      }),
    ).resolves.toBe(1);
    expect(teardown).toHaveBeenCalledTimes(1);
  });

  it('rejects before running the work when the signal has fired, after onFail', async () => {
    const work = vi.fn();
    const onFail = vi.fn();
    await expect(bounded({ signal: AbortSignal.abort(), timeoutReason: 'x', onFail }, work)).rejects.toBeInstanceOf(AbortError);
    expect(work).not.toHaveBeenCalled();
    expect(onFail).toHaveBeenCalledTimes(1);
  });

  it('calls onFail for the work failing and for the bound giving up', async () => {
    const onFail = vi.fn();
    const boom = new Error('boom');
    await expect(
      bounded({ timeoutReason: 'x', onFail }, (_ok, fail) => {
        fail(boom);
        return undefined;
      }),
    ).rejects.toBe(boom);
    expect(onFail).toHaveBeenLastCalledWith(boom);
    const c = new AbortController();
    const p = bounded({ signal: c.signal, timeoutReason: 'x', onFail }, () => undefined);
    c.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(onFail).toHaveBeenCalledTimes(2);
  });

  it('rejects with what the work throws synchronously, without onFail', async () => {
    const onFail = vi.fn();
    const bad = new Error('cannot start');
    await expect(
      bounded({ timeout: 1000, timeoutReason: 'x', onFail }, () => {
        throw bad;
      }),
    ).rejects.toBe(bad);
    expect(onFail).not.toHaveBeenCalled();
  });

  it('uses a custom abort error', async () => {
    const c = new AbortController();
    const reason = new TimeoutError('outer deadline', 3);
    const p = bounded({ signal: c.signal, timeoutReason: 'x', abortError: (s) => s.reason as Error }, () => undefined);
    c.abort(reason);
    await expect(p).rejects.toBe(reason);
  });
});

describe('linkedSignal and raceSignal', () => {
  it('fires for the caller signal with its AbortError', () => {
    const c = new AbortController();
    const linked = linkedSignal({ signal: c.signal }, 'x');
    expect(linked.signal.aborted).toBe(false);
    c.abort('user');
    expect(linked.signal.reason).toBeInstanceOf(AbortError);
    expect((linked.signal.reason as Error).cause).toBe('user');
  });

  it('fires with the TimeoutError, which raceSignal rejects with as it is', async () => {
    const linked = linkedSignal({ timeout: 1 }, 'connecting over SSH to h:22');
    const never = new Promise<number>(() => {});
    const err = await raceSignal(never, linked.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('timed out after 1 ms connecting over SSH to h:22');
  });

  it('does not fire after dispose', async () => {
    const linked = linkedSignal({ timeout: 1 }, 'x');
    linked.dispose();
    await delay(5);
    expect(linked.signal.aborted).toBe(false);
  });

  it('passes the work result through', async () => {
    await expect(raceSignal(Promise.resolve(3), new AbortController().signal)).resolves.toBe(3);
  });
});

describe('Deadline and delay', () => {
  it('shares one timeout between steps', () => {
    vi.useFakeTimers();
    try {
      const d = new Deadline(100);
      vi.advanceTimersByTime(30);
      expect(d.ms).toBe(100);
      expect(d.remaining()).toBe(70);
      vi.advanceTimersByTime(200);
      expect(d.remaining()).toBe(0);
      expect(new Deadline(undefined).remaining()).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('delay rejects with an AbortError when the signal fires first', async () => {
    const c = new AbortController();
    const p = delay(60_000, c.signal);
    c.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });
});
