/**
 * virsh's editing loop, shared by `edit` and every `*-edit` command (the
 * behaviour of libvirt's tools/virsh-edit.c and vsh.c vshEditFile /
 * vshAskReedit, read for the facts):
 *
 * 1. the object's XML is written to `$TMPDIR/virshXXXXXX.xml` (mode 0600);
 * 2. `$VISUAL`, else `$EDITOR`, else `vi` edits it, on virsh's own terminal;
 *    an editor value made only of `[A-Za-z0-9-/_.:@]` is run directly,
 *    anything else through `sh -c "EDITOR FILE"`;
 * 3. the file read back unchanged: the command's "... not changed." line;
 * 4. otherwise the XML is fetched again (someone else may have changed it)
 *    and the edited text defined;
 * 5. when that fails, on a terminal virsh reports the error and asks
 *    `Failed. Try again? [y,n,i,f,?]: ` in raw mode, one key: `y` edits the
 *    same file again, `n` gives up (the command fails, nothing more said),
 *    `i` (where the command has a validation to turn off) defines again
 *    without it, `f` defines again, `?` prints the help, any other key asks
 *    again. Without a terminal virsh prints `error: Failed.` and carries on
 *    as if the define had worked: the command succeeds and names the
 *    object `(null)`. That is what virsh 9.0.0 does, so tsvirsh does it too.
 *
 * The temporary file is removed whatever happens.
 */
import { spawn } from 'node:child_process';
import { constants, accessSync, closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { ReadStream } from 'node:tty';
import { CliError, type CommandContext } from '../command.js';
import { strerror } from './strerror.js';

/** What an editing command edits: how to fetch its XML and define the edited text. */
export interface EditTarget<T> {
  /** The object's XML (EDIT_GET_XML); fetched before editing and again before each define. */
  getXml(): Promise<string>;
  /** Defines the edited XML (EDIT_DEFINE); a rejection is a failed define. */
  define(xml: string): Promise<T>;
  /**
   * The line printed (unless quiet) when the file comes back unchanged; null
   * when an unchanged file is defined anyway (`snapshot-edit --current`).
   */
  readonly notChanged: string | null;
  /** Turns the define's validation off (EDIT_RELAX): the `i` answer is offered only when given. */
  readonly relax?: () => void;
}

/**
 * The loop's end: `defined` holds what the define returned, or null when
 * virsh would carry on without it (a failed define with no terminal to
 * ask on); `unchanged` when the file came back as it was.
 */
export type EditResult<T> = { readonly unchanged: true } | { readonly unchanged: false; readonly defined: T | null };

/** Characters virsh lets through in $EDITOR and the file name without a shell (ACCEPTED_CHARS). */
const PLAIN = /^[A-Za-z0-9\-/_.:@]*$/;

/** The temporary file virsh edits: `$TMPDIR/virshXXXXXX.xml` (g_mkstemp_full, mode 0600). */
function writeTempFile(doc: string, env: Readonly<Record<string, string | undefined>>): string {
  const dir = env.TMPDIR ?? '/tmp';
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (let attempt = 0; ; attempt++) {
    const name = `${dir}/virsh${[...randomBytes(6)].map((b) => letters[b % letters.length]).join('')}.xml`;
    let fd: number;
    try {
      fd = openSync(name, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw new CliError([`g_mkstemp_full: failed to create temporary file: ${strerror(err)}`]);
    }
    try {
      writeSync(fd, doc);
    } catch (err) {
      closeSync(fd);
      throw new CliError([`write: ${name}: failed to write to temporary file: ${strerror(err)}`]);
    }
    closeSync(fd);
    return name;
  }
}

/** An argument as virCommandToString shows it (quoted for a shell when it needs to be). */
function shellWord(s: string): string {
  if (s !== '' && !/[^A-Za-z0-9\-/_.:@=+,%]/.test(s)) return s;
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The first executable called `name` on $PATH (virFindFileInPath), or null. */
function findInPath(name: string, env: Readonly<Record<string, string | undefined>>): string | null {
  for (const dir of (env.PATH ?? '/bin:/usr/bin').split(delimiter)) {
    const file = join(dir || '.', name);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Runs the editor on `file` with the terminal (stdin, stdout, stderr) as
 * virsh does, and waits for it. Fails as virCommandRun does: a name not on
 * $PATH, a program that cannot run (libvirt's child prints its line, then
 * the status is 127), a non-zero status or a signal.
 */
async function runEditor(ctx: CommandContext, file: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const editor = env.VISUAL ?? env.EDITOR ?? 'vi';
  let argv: string[];
  if (PLAIN.test(editor)) {
    argv = [editor, file];
  } else {
    if (!PLAIN.test(file)) {
      throw new CliError([`${file}: temporary filename contains shell meta or other unacceptable characters (is $TMPDIR wrong?)`]);
    }
    argv = ['sh', '-c', `${editor} ${file}`];
  }
  const program = argv[0].includes('/') ? argv[0] : findInPath(argv[0], env);
  if (program === null) throw new CliError([`Cannot find '${argv[0]}' in path: No such file or directory`]);
  const shown = argv.map(shellWord).join(' ');
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    const child = spawn(program, argv.slice(1), { argv0: argv[0], stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    child.once('error', (error) => resolve({ code: 127, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  if (outcome.error) ctx.printError?.(`libvirt:  error : cannot execute binary ${argv[0]}: ${strerror(outcome.error)}\n`);
  if (outcome.code === 0) return;
  const how = outcome.signal ? `fatal signal ${osConstants.signals[outcome.signal] ?? 0}` : `exit status ${outcome.code}`;
  throw new CliError([`internal error: Child process (${shown}) unexpected ${how}`]);
}

/** The edited file's text (virFileReadAll). */
function readBack(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const text = strerror(err);
    throw new CliError([`${file}: failed to read temporary file: ${text}`, `Failed to open file '${file}': ${text}`]);
  }
}

/**
 * `text` through the editor once (virsh's `desc --edit`): written to a
 * temporary file, edited, read back; the file is removed.
 */
export async function editText(ctx: CommandContext, text: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<string> {
  const file = writeTempFile(text, env);
  try {
    await runEditor(ctx, file, env);
    return readBack(file);
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

/** Keys read one at a time from the terminal on standard input, in raw mode until closed. */
export interface KeyReader {
  /** The next key, lower-cased; null at the end of input. */
  read(): Promise<string | null>;
  /** Puts the terminal back as it was. */
  close(): void;
}

/**
 * Makes standard input's terminal raw and reads keys from it through a
 * stream of its own (closed by `close()`, so nothing is left reading the
 * terminal when an editor or the next prompt runs). Null without a terminal.
 */
export function terminalKeys(): KeyReader | null {
  let fd: number;
  try {
    fd = openSync('/proc/self/fd/0', 'r');
  } catch {
    return null;
  }
  const input = new ReadStream(fd);
  input.setRawMode(true);
  input.pause();
  const pending: string[] = [];
  let ended = false;
  let waiter: ((key: string | null) => void) | null = null;
  const deliver = (): void => {
    if (!waiter) return;
    const w = waiter;
    if (pending.length) {
      waiter = null;
      w(pending.shift()!);
    } else if (ended) {
      waiter = null;
      w(null);
    }
  };
  input.on('data', (chunk: Buffer) => {
    // getchar(): one key at a time, the rest stays for the next question.
    for (const b of chunk) pending.push(String.fromCharCode(b).toLowerCase());
    deliver();
  });
  const end = (): void => {
    ended = true;
    deliver();
  };
  input.once('end', end);
  input.once('error', end);
  return {
    read: () =>
      new Promise<string | null>((resolve) => {
        waiter = resolve;
        input.resume();
        deliver();
      }),
    close: () => {
      if (input.destroyed) return;
      input.setRawMode(false);
      input.destroy();
    },
  };
}

/**
 * virsh's question after a failed define (vshAskReedit): the daemon's error,
 * then, with the terminal raw (output processing kept, so `\n` stands for
 * the `\r\n` virsh writes itself), the prompt until one of the offered keys
 * is pressed. Null without a terminal on standard input.
 */
async function askReedit(ctx: CommandContext, msg: string, relax: boolean, failure: unknown, openKeys: () => KeyReader | null): Promise<string | null> {
  if (!process.stdin.isTTY) return null;
  if (failure !== null) ctx.printError?.(`error: ${failure instanceof Error ? failure.message : String(failure)}\n`);
  const keys = openKeys();
  if (!keys) return null;
  try {
    for (;;) {
      ctx.print(`\r${msg} Try again? ${relax ? '[y,n,i,f,?]' : '[y,n,f,?]'}: `);
      const c = await keys.read();
      if (c === null) return null;
      if (c === '?') {
        ctx.print(
          `\ny - yes, start editor again\nn - no, throw away my changes\n${relax ? 'i - turn off validation and try to redefine again\n' : ''}` +
            'f - force, try to redefine again\n? - print this help\n',
        );
        continue;
      }
      if (c === 'y' || c === 'n' || c === 'f' || (relax && c === 'i')) {
        keys.close();
        ctx.print('\r\n');
        return c;
      }
    }
  } finally {
    keys.close();
  }
}

/**
 * Runs virsh's editing loop on `target` (see the module comment). Rejects
 * with the command's error; `n` at the prompt rejects with a CliError of no
 * lines (virsh says nothing more: the daemon's error was shown before the
 * question).
 */
export async function editLoop<T>(
  ctx: CommandContext,
  target: EditTarget<T>,
  options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly keys?: () => KeyReader | null } = {},
): Promise<EditResult<T>> {
  const env = options.env ?? process.env;
  const openKeys = options.keys ?? terminalKeys;
  let doc = await target.getXml();
  const file = writeTempFile(doc, env);
  try {
    let relax = target.relax !== undefined;
    for (;;) {
      await runEditor(ctx, file, env);
      const edited = readBack(file);
      if (edited === doc && target.notChanged !== null) {
        if (!ctx.quiet) ctx.print(target.notChanged);
        return { unchanged: true };
      }
      // redefine: until defined, or the user asks to edit again.
      for (;;) {
        let msg: string | null = null;
        let failure: unknown = null;
        const reread = await target.getXml();
        if (reread !== doc) {
          msg = 'The XML configuration was changed by another user.';
          doc = reread;
        }
        if (msg === null) {
          try {
            return { unchanged: false, defined: await target.define(edited) };
          } catch (err) {
            if (err instanceof CliError) throw err;
            msg = 'Failed.';
            failure = err;
          }
        }
        const c = await askReedit(ctx, msg, relax, failure, openKeys);
        if (c === 'y') break;
        if (c === 'f') continue;
        if (c === 'n') throw new CliError([]);
        if (c === 'i' && relax) {
          target.relax?.();
          relax = false;
          continue;
        }
        ctx.printError?.(`error: ${msg}\n`);
        return { unchanged: false, defined: null };
      }
    }
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // already gone (the editor removed it)
    }
  }
}
