/**
 * Logging in with the in-process SSH client: the methods in order, each with
 * libvirt's semantics (virnetsshsession.c / virnetlibsshsession.c,
 * virNet*Authenticate*; read for the facts), driven through ssh2's
 * `authHandler`:
 *
 * - first `none`, which tells which methods the server offers; a method it
 *   does not offer is skipped;
 * - `agent`: every key of the ssh-agent (`SSH_AUTH_SOCK`, or the socket
 *   given);
 * - `privkey`: the key file (or a key given in memory); an encrypted key's
 *   passphrase is asked through the credentials (`VIR_CRED_PASSPHRASE`,
 *   "Passphrase for key '<file>'"); a wrong passphrase ends the login;
 * - `password`: the password of the URI's user part, else auth.conf
 *   (`[auth-ssh-HOST]`), else the credentials callback
 *   (`VIR_CRED_PASSPHRASE`, "Enter USER's password for HOST"); asked again
 *   after a rejection (up to three times, and only while the answer changes);
 * - `keyboard-interactive`: the server's prompts go to the callback
 *   (`VIR_CRED_ECHOPROMPT` or `VIR_CRED_PASSPHRASE` as they echo or not),
 *   up to three rounds.
 *
 * A method that cannot be tried (no agent, no key, no way to get a
 * password) is skipped and said so. When every method has failed, the error
 * lists each with its outcome, never a secret.
 */
import { readFile } from 'node:fs/promises';
import type { AnyAuthMethod, AuthenticationType, NextAuthHandler, ParsedKey, Prompt } from 'ssh2';
import { VIR_CRED_ECHOPROMPT, VIR_CRED_NOECHOPROMPT, VIR_CRED_PASSPHRASE } from '../../procedures/libvirt-api.gen.js';
import { collectCredentials, credentialTypes, type AuthConfig, type CredentialRequest, type Credentials } from '../../auth/credentials.js';
import { AuthenticationError } from '../../auth/errors.js';
import { SshTransportError, type SshAuthAttempt } from './errors.js';
import type { Ssh2Module } from './load.js';

/** One method to try, in order. */
export type AuthStep =
  | { readonly method: 'agent'; readonly socket: string | null }
  | {
      readonly method: 'privkey';
      readonly name: 'privkey' | 'publickey';
      readonly file: string | null;
      readonly key?: string | Buffer;
      readonly passphrase?: string;
    }
  | { readonly method: 'password' }
  | { readonly method: 'keyboard-interactive' };

/** What the steps need to ask for credentials. */
export interface AuthContext {
  readonly ssh2: Ssh2Module;
  readonly username: string;
  /** The host, for prompts and `[auth-ssh-HOST]`. */
  readonly host: string;
  /** `host:port`, for messages. */
  readonly endpoint: string;
  readonly credentials?: Credentials;
  readonly authConfig: () => AuthConfig | null;
  /** The password of the URI's user part. */
  readonly uriPassword: string | null;
  /** False in batch mode (`no_tty=1`, `BatchMode yes`): nothing is asked through the callback. */
  readonly interactive: boolean;
  /** Wraps a wait for the user (the dial's handshake timer stops meanwhile). */
  readonly waitForUser: <T>(work: () => Promise<T>) => Promise<T>;
}

const MAX_TRIES = 3;

function hasCallback(c: Credentials | undefined): boolean {
  return c !== undefined && (typeof c === 'function' || 'callback' in c);
}

/** Strips the trailing colon and blanks of a prompt, as libvirt does before asking. */
function bare(prompt: string): string {
  return prompt.replace(/[\s:]+$/, '');
}

/** The ssh2 `authHandler` for a list of steps, recording each attempt. */
export class SshAuthenticator {
  /** The methods tried so far, with their outcome. */
  readonly attempts: SshAuthAttempt[] = [];
  /** An error that ended the login early (a wrong passphrase, a failing callback). */
  fatal: Error | null = null;
  private index = 0;
  private started = false;
  /** The attempt in flight and how many times it has been tried. */
  private current: { step: AuthStep; tries: number; lastAnswer: string | null; label: string } | null = null;

  constructor(
    private readonly steps: readonly AuthStep[],
    private readonly ctx: AuthContext,
  ) {}

  /** The function to give ssh2 as `authHandler`. */
  readonly handler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
    if (!this.started) {
      this.started = true;
      next({ type: 'none', username: this.ctx.username });
      return;
    }
    const offered = methodsLeft ?? [];
    void this.advance(offered).then(
      (method) => next(method ?? (false as unknown as AnyAuthMethod)),
      (err: unknown) => {
        this.fatal = err instanceof Error ? err : new Error(String(err));
        next(false as unknown as AnyAuthMethod);
      },
    );
  };

  /** The error to report when the login failed. */
  failure(): SshTransportError {
    const where = `${this.ctx.username}@${this.ctx.endpoint}`;
    if (this.fatal !== null) {
      if (this.fatal instanceof SshTransportError) return this.fatal;
      return new SshTransportError(`SSH login to ${where} failed: ${this.fatal.message}`, {
        failure: 'credentials',
        endpoint: this.ctx.endpoint,
        authAttempts: this.attempts,
        cause: this.fatal,
      });
    }
    const tried = this.attempts.map((a) => `${a.method}: ${a.detail}`).join('; ');
    const none = this.attempts.every((a) => a.outcome === 'skipped');
    const head = none
      ? 'None of the requested authentication methods are supported by the server or could be tried'
      : 'All provided authentication methods with credentials were rejected by the server';
    return new SshTransportError(`SSH authentication of ${where} failed: ${head} (${tried || 'no methods'})`, {
      failure: 'auth',
      endpoint: this.ctx.endpoint,
      authAttempts: this.attempts,
    });
  }

  private record(method: string, outcome: SshAuthAttempt['outcome'], detail: string): void {
    this.attempts.push({ method, outcome, detail });
  }

  /** Called after the server answered the previous attempt (or the `none` probe): picks what to send next. */
  private async advance(offered: readonly string[]): Promise<AnyAuthMethod | null> {
    if (this.fatal !== null) return null;
    const cur = this.current;
    if (cur !== null) {
      // The previous attempt was rejected. Password and keyboard-interactive may be asked again.
      const again = (cur.step.method === 'password' || cur.step.method === 'keyboard-interactive') && cur.tries < MAX_TRIES;
      const recorded = this.attempts.length;
      if (again && offered.includes(cur.step.method)) {
        const retry = await this.prepare(cur.step, offered);
        if (retry !== null) return retry;
      }
      // Not retried: the last attempt stands as rejected (unless prepare said why it stopped).
      if (this.attempts.length === recorded) this.record(cur.label, 'rejected', this.rejection(cur.step, cur.tries));
      else
        this.attempts.splice(recorded, this.attempts.length - recorded, {
          method: cur.label,
          outcome: 'rejected',
          detail: this.rejection(cur.step, cur.tries),
        });
      this.current = null;
    }
    while (this.index < this.steps.length) {
      const step = this.steps[this.index++]!;
      const needs = step.method === 'agent' || step.method === 'privkey' ? 'publickey' : step.method;
      const label = step.method === 'privkey' ? step.name : step.method;
      if (!offered.includes(needs)) {
        this.record(label, 'skipped', `not offered by the server (it offers ${offered.join(', ') || 'nothing'})`);
        continue;
      }
      this.current = { step, tries: 0, lastAnswer: null, label };
      const method = await this.prepare(step, offered);
      if (method !== null) return method;
      this.current = null;
    }
    return null;
  }

  private rejection(step: AuthStep, tries: number): string {
    switch (step.method) {
      case 'agent':
        return `the agent's keys were not accepted (${step.socket})`;
      case 'privkey':
        return `the key ${step.file ?? '(given in memory)'} was not accepted`;
      case 'password':
        return `the password was rejected${tries > 1 ? ` (${tries} attempts)` : ''}`;
      case 'keyboard-interactive':
        return `the answers were rejected${tries > 1 ? ` (${tries} attempts)` : ''}`;
    }
  }

  /** Builds the next ssh2 auth request for `step`, or null when it cannot be tried (recorded as skipped). */
  private async prepare(step: AuthStep, _offered: readonly string[]): Promise<AnyAuthMethod | null> {
    const cur = this.current!;
    const { username } = this.ctx;
    switch (step.method) {
      case 'agent': {
        if (step.socket === null) {
          this.record('agent', 'skipped', 'no ssh-agent (SSH_AUTH_SOCK is not set)');
          return null;
        }
        const agent = new this.ctx.ssh2.OpenSSHAgent(step.socket);
        const keys = await new Promise<unknown[] | Error>((resolve) => {
          agent.getIdentities((err, list) => resolve(err ?? list ?? []));
        });
        if (keys instanceof Error) {
          this.record('agent', 'failed', `cannot use the ssh-agent at ${step.socket}: ${keys.message}`);
          return null;
        }
        if (keys.length === 0) {
          this.record('agent', 'skipped', `the ssh-agent at ${step.socket} holds no keys`);
          return null;
        }
        cur.tries++;
        return { type: 'agent', username, agent };
      }
      case 'privkey':
        return this.privateKey(step);
      case 'password': {
        const password = await this.password(cur.tries);
        if (password === null || cur.lastAnswer === password) return null;
        cur.lastAnswer = password;
        cur.tries++;
        return { type: 'password', username, password };
      }
      case 'keyboard-interactive': {
        // A first round can be answered by the URI's password or fixed credentials; later ones only by asking again.
        const asking = this.ctx.interactive && hasCallback(this.ctx.credentials);
        const fixed = this.ctx.uriPassword !== null || (this.ctx.credentials !== undefined && !hasCallback(this.ctx.credentials));
        if (!(asking || (cur.tries === 0 && fixed))) {
          if (cur.tries > 0) return null;
          this.record('keyboard-interactive', 'skipped', "no way to answer the server's prompts (no credentials callback)");
          return null;
        }
        const round = cur.tries++;
        return {
          type: 'keyboard-interactive',
          username,
          prompt: (name, instructions, _lang, prompts, finish) => {
            void this.kbdAnswers(name, instructions, prompts, round).then(finish, (err: unknown) => {
              this.fatal ??= err instanceof Error ? err : new Error(String(err));
              finish(prompts.map(() => ''));
            });
          },
        };
      }
    }
  }

  private async privateKey(step: Extract<AuthStep, { method: 'privkey' }>): Promise<AnyAuthMethod | null> {
    const label = step.file ?? '(given in memory)';
    let data: string | Buffer;
    if (step.key !== undefined) {
      data = step.key;
    } else if (step.file !== null) {
      try {
        data = await readFile(step.file);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        this.record(step.name, 'skipped', `cannot read the key ${step.file}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
        return null;
      }
    } else {
      this.record(step.name, 'skipped', 'no key file');
      return null;
    }
    const { parseKey } = this.ctx.ssh2.utils;
    let parsed = parseKey(data, step.passphrase);
    if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
      const passphrase = await this.passphrase(label, step.name);
      if (passphrase === null) return null;
      parsed = parseKey(data, passphrase);
      if (parsed instanceof Error) {
        throw new SshTransportError(`error while opening private key '${label}', wrong passphrase?`, {
          failure: 'credentials',
          endpoint: this.ctx.endpoint,
          authAttempts: this.attempts,
        });
      }
    }
    if (parsed instanceof Error) {
      const wrong = /bad passphrase|integrity check/i.test(parsed.message);
      if (wrong) {
        throw new SshTransportError(`error while opening private key '${label}', wrong passphrase?`, {
          failure: 'credentials',
          endpoint: this.ctx.endpoint,
          authAttempts: this.attempts,
        });
      }
      this.record(step.name, 'failed', `cannot use the key ${label}: ${parsed.message}`);
      return null;
    }
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
    if (!key.isPrivateKey()) {
      this.record(step.name, 'failed', `${label} is not a private key`);
      return null;
    }
    this.current!.tries++;
    return { type: 'publickey', username: this.ctx.username, key };
  }

  /** A key's passphrase through the credentials (never auth.conf, as libvirt); null when it cannot be asked (recorded). */
  private async passphrase(label: string, method: string): Promise<string | null> {
    const creds = this.ctx.credentials;
    if (!this.ctx.interactive || !hasCallback(creds)) {
      this.record(
        method,
        'skipped',
        `the key ${label} is encrypted and its passphrase cannot be asked (${this.ctx.interactive ? 'no credentials callback and no ssh.passphrase' : 'batch mode'})`,
      );
      return null;
    }
    const type = credentialTypes(creds).includes(VIR_CRED_PASSPHRASE) ? VIR_CRED_PASSPHRASE : VIR_CRED_NOECHOPROMPT;
    const [answer] = await this.ask(
      [{ type, prompt: `Passphrase for key '${label}'`, challenge: null, defresult: null }],
      'the passphrase of an SSH key',
      false,
    );
    return answer ?? null;
  }

  /** The password to try next: the URI's first, then auth.conf / fixed credentials / the callback. Null when none (recorded). */
  private async password(tries: number): Promise<string | null> {
    if (tries === 0 && this.ctx.uriPassword !== null) return this.ctx.uriPassword;
    const creds = this.ctx.credentials;
    const types = credentialTypes(creds);
    const type = types.find((t) => t === VIR_CRED_PASSPHRASE || t === VIR_CRED_NOECHOPROMPT) ?? VIR_CRED_PASSPHRASE;
    const request: CredentialRequest = {
      type,
      prompt: `Enter ${this.ctx.username}'s password for ${this.ctx.host}`,
      challenge: this.ctx.host,
      defresult: null,
    };
    try {
      const [answer] = await this.ask([request], 'SSH password login', true);
      return answer ?? null;
    } catch (err) {
      if (err instanceof AuthenticationError) {
        this.record('password', 'skipped', err.message);
        return null;
      }
      throw err;
    }
  }

  private async kbdAnswers(name: string, instructions: string, prompts: Prompt[], round: number): Promise<string[]> {
    if (prompts.length === 0) return [];
    // The URI's password answers a lone hidden prompt (a PAM "Password:") first.
    if (round === 0 && this.ctx.uriPassword !== null && prompts.length === 1 && !prompts[0]!.echo) return [this.ctx.uriPassword];
    const types = credentialTypes(this.ctx.credentials);
    const hidden = types.includes(VIR_CRED_PASSPHRASE) ? VIR_CRED_PASSPHRASE : VIR_CRED_NOECHOPROMPT;
    const challenge = [name, instructions].filter((t) => t && t.trim() !== '').join('\n') || null;
    const requests = prompts.map((p) => ({ type: p.echo ? VIR_CRED_ECHOPROMPT : hidden, prompt: bare(p.prompt), challenge, defresult: null }));
    return await this.ask(requests, 'SSH keyboard-interactive login', false);
  }

  private async ask(requests: CredentialRequest[], purpose: string, useAuthConf: boolean): Promise<string[]> {
    const creds = this.ctx.credentials;
    const interactiveCreds = this.ctx.interactive ? creds : creds !== undefined && !hasCallback(creds) ? creds : undefined;
    return await this.ctx.waitForUser(() =>
      collectCredentials(requests, {
        ...(interactiveCreds !== undefined ? { credentials: interactiveCreds } : {}),
        authConfig: useAuthConf ? this.ctx.authConfig : () => null,
        hostname: this.ctx.host,
        mechanism: 'SSH',
        service: 'ssh',
        purpose: `${purpose} of ${this.ctx.username}@${this.ctx.endpoint}`,
      }),
    );
  }
}
