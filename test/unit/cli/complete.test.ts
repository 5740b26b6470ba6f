/**
 * The completion engine behind `complete` and the shell's Tab key (src/cli/shell/complete.ts),
 * on tsvirsh's own command table, with a connection stub that records what the completers ask:
 * what vshReadlineParse offers for a command being typed, an option name, an option's value and
 * a positional value, with virsh's listing flags, escaping and filtering. The same answers are
 * checked against virsh itself in test/integration/cli-interactive.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/api/connection.js';
import { completionCommands } from '../../../src/cli/main.js';
import { completions, wordStart, type CompletionSource } from '../../../src/cli/shell/complete.js';
import { VIR_CONNECT_LIST_DOMAINS_ACTIVE, VIR_CONNECT_LIST_DOMAINS_SHUTOFF } from '../../../src/procedures/libvirt-api.gen.js';

/** A source whose daemon has domains `web 1` and `db`, recording the flags of each listing. */
function source(connected = true): CompletionSource & { readonly asked: number[] } {
  const asked: number[] = [];
  const conn = {
    isOpen: true,
    raw: {
      connectListAllDomains: async (_need: number, flags: number) => {
        asked.push(flags);
        return { domains: [{ name: 'web 1' }, { name: 'db' }], ret: 2 };
      },
    },
  } as unknown as Connection;
  return { commands: completionCommands(), connection: async () => (connected ? conn : null), asked };
}

/** Completes `line` as the shell does: the word is what follows the last break character. */
const complete = (line: string, src = source()): Promise<string[]> => completions(line, line.slice(wordStart(line)), src);

describe('completion', () => {
  it('offers command names in virsh’s order, without hidden ones', async () => {
    const all = await complete('');
    expect(all.slice(0, 3)).toEqual(['attach-device', 'attach-disk', 'attach-interface']);
    expect(all).not.toContain('complete');
    expect(all.indexOf('start')).toBeLessThan(all.indexOf('cd'));
    expect(await complete('domsta')).toEqual(['domstate', 'domstats']);
  });

  it('offers commands again for a word that is a whole command name (dump<TAB>)', async () => {
    expect(await complete('dump')).toEqual(['dump', 'dumpxml']);
    expect(await complete('list; dumpx')).toEqual(['dumpxml']);
  });

  it('offers the options not given yet', async () => {
    const start = await complete('start ');
    expect(start[0]).toBe('--domain');
    expect(start).toContain('--paused');
    const list = await complete('list --all --');
    expect(list).not.toContain('--all');
    expect(list).toContain('--inactive');
    expect(await complete('list --ina')).toEqual(['--inactive']);
  });

  it('offers object names for an option’s value and a positional value, with virsh’s flags', async () => {
    const src = source();
    expect(await complete('start w', src)).toEqual(['web\\ 1']);
    expect(await complete('destroy --domain ', src)).toEqual(['web\\ 1', 'db']);
    expect(await complete('dominfo --domain=d', src)).toEqual(['db']);
    expect(src.asked).toEqual([VIR_CONNECT_LIST_DOMAINS_SHUTOFF, VIR_CONNECT_LIST_DOMAINS_ACTIVE, 0]);
  });

  it('offers nothing for a value without a completer, or without a connection', async () => {
    expect(await complete('dominfo t', source(false))).toEqual([]);
    expect(await complete('echo a b')).toEqual([]);
    expect(await complete('nosuch x')).toEqual([]);
  });

  it('completes help’s command argument with command names', async () => {
    expect(await complete('help domsta')).toEqual(['domstate', 'domstats']);
  });

  it('finds the word as readline does (break characters, escaped blanks)', () => {
    expect(wordStart('dominfo --domain=te')).toBe('dominfo --domain='.length);
    expect(wordStart('start web\\ 1')).toBe('start '.length);
    expect(wordStart('list;dom')).toBe('list;'.length);
  });
});
