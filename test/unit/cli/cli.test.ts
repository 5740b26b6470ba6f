import { describe, expect, it } from 'vitest';
import { CliError, type CommandSpec } from '../../../src/cli/command.js';
import { domainStateName, domainStateReasonName } from '../../../src/api/names.js';
import { parseUuid } from '../../../src/api/uuid.js';
import { formatUuid, prettyCapacity } from '../../../src/cli/support/format.js';
import { fixedString } from '../../../src/api/values.js';
import { COMMANDS, parseCommandArgs, runVirsh } from '../../../src/cli/main.js';
import { formatTable } from '../../../src/cli/support/table.js';

describe('virsh tables', () => {
  it('pads every column but the last and rules the header to the full width', () => {
    expect(formatTable(['Id', 'Name', 'State'], [['1', 'test', 'running']])).toBe(' Id   Name   State\n----------------------\n 1    test   running\n');
  });
  it('keeps the separators after an empty last cell, and sizes columns by their cells alone when quiet', () => {
    expect(formatTable(['A', 'B'], [['x', '']])).toBe(' A   B\n--------\n x   \n');
    expect(formatTable(['Id', 'Name'], [['1', 'a']], true)).toBe(' 1   a\n');
  });
  it('counts wide characters twice', () => {
    expect(formatTable(['N', 'X'], [['日本', 'y']])).toBe(' N      X\n-----------\n 日本   y\n');
  });
});

describe('virsh value formats', () => {
  it('formats and parses UUIDs', () => {
    const bytes = Buffer.from('6695eb01f6a4830479aa97f2502e193f', 'hex');
    expect(formatUuid(bytes)).toBe('6695eb01-f6a4-8304-79aa-97f2502e193f');
    expect(Buffer.from(parseUuid('6695eb01-f6a4-8304-79aa-97f2502e193f')!)).toEqual(bytes);
    expect(parseUuid('not-a-uuid')).toBeNull();
    expect(parseUuid('6695eb01f6a4830479aa97f2502e193')).toBeNull();
  });
  it('prints capacities as vshPrettyCapacity does', () => {
    expect(prettyCapacity(0)).toBe('0.00 B');
    expect(prettyCapacity(1023)).toBe('1023.00 B');
    expect(prettyCapacity(1024)).toBe('1.00 KiB');
    expect(prettyCapacity(107374182400n)).toBe('100.00 GiB');
  });
  it('names states and reasons, with unknown for anything out of range', () => {
    expect(domainStateName(5)).toBe('shut off');
    expect(domainStateName(99)).toBe('no state');
    expect(domainStateReasonName(3, 1)).toBe('user');
    expect(domainStateReasonName(5, 99)).toBe('unknown');
  });
  it('reads C char arrays up to their NUL, bytes above 127 included', () => {
    expect(fixedString([120, 56, 54, 0, 0])).toBe('x86');
    expect(fixedString([-61, -87])).toBe('é');
  });
});

describe('command line parsing', () => {
  const cmd = COMMANDS.find((c) => c.name === 'domstate') as CommandSpec;
  it('fills positional options in order and takes --name value and --name=value', () => {
    expect(parseCommandArgs(cmd, ['test', '--reason']).string('domain')).toBe('test');
    expect(parseCommandArgs(cmd, ['--domain', 'x']).string('domain')).toBe('x');
    expect(parseCommandArgs(cmd, ['--domain=y', '--reason']).bool('reason')).toBe(true);
  });
  it('rejects unknown options, extra data and missing required options as usage errors', () => {
    for (const args of [['--nope'], ['a', 'b'], [], ['--reason=1']]) {
      let err: unknown;
      try {
        parseCommandArgs(cmd, args);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).usage).toBe(true);
    }
  });
  it('has unique command names and prints help without connecting', async () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    let out = '';
    expect(await runVirsh(['help', 'dominfo'], { stdout: (t) => (out += t), stderr: () => {} })).toBe(0);
    expect(out).toContain('dominfo - domain information');
    out = '';
    expect(await runVirsh(['--bogus'], { stdout: (t) => (out += t), stderr: (t) => (out += t) })).toBe(1);
    expect(out).toContain("unsupported option '--bogus'");
  });
});
