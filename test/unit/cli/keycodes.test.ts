import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEYCODE_SETS, keycodeByName } from '../../../src/cli/support/keycodes.js';

describe('send-key key names', () => {
  it('gives every KEY_ name the code the kernel’s input-event-codes.h defines for it', () => {
    // The header of this machine's linux-libc-dev: the source libvirt's keymaps take Linux codes from.
    const header = readFileSync('/usr/include/linux/input-event-codes.h', 'utf8');
    let compared = 0;
    for (const m of header.matchAll(/^#define\s+(KEY_[A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)\s*$/gm)) {
      const ours = keycodeByName('linux', m[1]);
      if (ours === undefined) continue;
      expect(ours, m[1]).toBe(Number(m[2]));
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
  });
  it('knows the Windows and macOS names virsh takes, and nothing for other codesets or unknown names', () => {
    expect(keycodeByName('win32', 'VK_RETURN')).toBe(0x0d);
    expect(keycodeByName('win32', 'VK_A')).toBe(0x41);
    expect(keycodeByName('os_x', 'ANSI_A')).toBe(0);
    expect(keycodeByName('xt', 'KEY_A')).toBeUndefined();
    expect(keycodeByName('linux', 'toString')).toBeUndefined();
    expect(KEYCODE_SETS.indexOf('qnum')).toBe(9);
  });
});
