/**
 * tsvirsh's answers to credential requests, asked on the terminal as virsh
 * asks them (libvirt's virConnectAuthCallbackDefault, read for the facts):
 * for each request the prompt and `: ` are printed on standard output, then
 * a line is read; for `VIR_CRED_PASSPHRASE` and `VIR_CRED_NOECHOPROMPT`
 * (passwords, key passphrases, hidden keyboard-interactive prompts) without
 * echo (virsh's getpass), for the others (user names, host key questions)
 * with echo. An empty answer takes the request's default. `VIR_CRED_EXTERNAL`
 * (polkit) needs no answer.
 *
 * Lines are read from the controlling terminal (`/dev/tty`). Without one
 * nothing can be asked: the answers stay empty, and the authentication fails
 * with an error saying what was missing rather than waiting.
 */
import { openSync, closeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import {
  VIR_CRED_AUTHNAME,
  VIR_CRED_ECHOPROMPT,
  VIR_CRED_EXTERNAL,
  VIR_CRED_NOECHOPROMPT,
  VIR_CRED_PASSPHRASE,
  VIR_CRED_REALM,
} from '../../procedures/libvirt-api.gen.js';
import type { CredentialCallbackAuth, CredentialRequest } from '../../auth/credentials.js';

/** Reads one line from a terminal, echoed or not; null when there is no terminal or it ended. */
export type LineReader = (echo: boolean) => Promise<string | null>;

/** Reads a line from /dev/tty (raw mode without echo for secrets); null without a terminal. Ctrl-C rejects. */
export const readTerminalLine: LineReader = async (echo) => {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return null;
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  try {
    return await new Promise<string | null>((resolve, reject) => {
      let line = '';
      input.setRawMode(true);
      input.setEncoding('utf8');
      const done = (value: string | null, err?: Error): void => {
        input.off('data', onData);
        input.setRawMode(false);
        output.write('\n'); // the Enter that raw mode did not echo (getpass ends the hidden line alike)
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            done(line);
            return;
          }
          if (ch === '\u0003') {
            done(null, new Error('interrupted'));
            return;
          }
          if (ch === '\u0004') {
            done(line === '' ? null : line);
            return;
          }
          if (ch === '\u007f' || ch === '\b') {
            if (line.length > 0) {
              line = line.slice(0, -1);
              if (echo) output.write('\b \b');
            }
            continue;
          }
          if (ch < ' ') continue;
          line += ch;
          if (echo) output.write(ch);
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      /* closed with the streams */
    }
  }
};

/** The credential types virsh's default callback answers. */
export const TERMINAL_CREDTYPES: readonly number[] = [
  VIR_CRED_AUTHNAME,
  VIR_CRED_ECHOPROMPT,
  VIR_CRED_REALM,
  VIR_CRED_PASSPHRASE,
  VIR_CRED_NOECHOPROMPT,
  VIR_CRED_EXTERNAL,
];

/**
 * The credentials tsvirsh gives `connect()`: each request is asked on the
 * terminal (see the module comment), its prompt written with `print`.
 */
export function terminalCredentials(print: (text: string) => void, read: LineReader = readTerminalLine): CredentialCallbackAuth {
  return {
    credtypes: TERMINAL_CREDTYPES,
    callback: async (requests: readonly CredentialRequest[]) => {
      const answers: (string | null)[] = [];
      for (const r of requests) {
        if (r.type === VIR_CRED_EXTERNAL) {
          answers.push('');
          continue;
        }
        print(`${r.prompt}: `);
        const hidden = r.type === VIR_CRED_PASSPHRASE || r.type === VIR_CRED_NOECHOPROMPT;
        const line = await read(!hidden);
        if (line === null) {
          if (!hidden) print('\n');
          answers.push(null);
          continue;
        }
        answers.push(line === '' ? (r.defresult ?? '') : line);
      }
      return answers;
    },
  };
}
