import { describe, expect, it } from 'vitest';
import { terminalCredentials } from '../../../src/cli/shell/prompt.js';
import { VIR_CRED_AUTHNAME, VIR_CRED_ECHOPROMPT, VIR_CRED_EXTERNAL, VIR_CRED_NOECHOPROMPT, VIR_CRED_PASSPHRASE } from '../../../src/index.js';

const req = (type: number, prompt: string, defresult: string | null = null) => ({ type, prompt, challenge: null, defresult });

describe("terminalCredentials (virsh's default callback)", () => {
  it('prints "prompt: ", reads hidden lines for passphrases and echoed lines otherwise, defaults on empty', async () => {
    let printed = '';
    const reads: boolean[] = [];
    const answers = ['alice', '', 'secret', 'y'];
    const creds = terminalCredentials(
      (t) => (printed += t),
      async (echo) => {
        reads.push(echo);
        return answers.shift() ?? null;
      },
    );
    const got = await creds.callback([
      req(VIR_CRED_AUTHNAME, 'Please enter your authentication name'),
      req(VIR_CRED_ECHOPROMPT, 'Realm', 'EXAMPLE'),
      req(VIR_CRED_PASSPHRASE, "Enter lvtest's password for h"),
      req(VIR_CRED_EXTERNAL, 'PolicyKit'),
      req(VIR_CRED_NOECHOPROMPT, 'Password'),
    ]);
    expect(got).toEqual(['alice', 'EXAMPLE', 'secret', '', 'y']);
    expect(reads).toEqual([true, true, false, false]);
    expect(printed).toBe("Please enter your authentication name: Realm: Enter lvtest's password for h: Password: ");
  });

  it('without a terminal the answers stay empty (nothing waits)', async () => {
    const creds = terminalCredentials(
      () => {},
      async () => null,
    );
    expect(await creds.callback([req(VIR_CRED_PASSPHRASE, 'p')])).toEqual([null]);
  });
});
