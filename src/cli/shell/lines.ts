/**
 * virsh's shell reading its commands from standard input that is not a
 * terminal (tools/virsh.c, vsh.c vshReadline without readline): the banner,
 * then for each line the prompt and the line as read, and the commands'
 * output.
 */
import { createInterface } from 'node:readline';
import type { GlobalOptions } from './global-options.js';
import type { ParsedCommand } from './parser.js';
import { errorText, type CliIo, type Session } from './session.js';
import { splitCommandString } from './tokenizer.js';

async function* linesOf(input: AsyncIterable<string> | string): AsyncIterable<string> {
  if (typeof input === 'string') {
    const lines = input.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    yield* lines;
  } else {
    yield* input;
  }
}

export function defaultStdin(): AsyncIterable<string> | null {
  if (process.stdin.isTTY) return null;
  return createInterface({ input: process.stdin, crlfDelay: Infinity });
}

/** Runs one line of the shell's input; resolves true when it was `quit` or `exit`. */
export async function shellLine(session: Session, io: CliIo, line: string): Promise<boolean> {
  let parsed: ParsedCommand[] | null;
  try {
    parsed = session.parse(splitCommandString(line));
  } catch (err) {
    io.stderr(errorText(err));
    return false;
  }
  return parsed !== null && (await session.run(parsed)).quit;
}

/**
 * virsh's shell without a terminal: the banner (unless quiet), then for
 * each line the prompt and the line as read, and the commands' output; a
 * newline when the input ends or `quit` is given. Always exits 0.
 */
export async function shell(session: Session, global: GlobalOptions, io: CliIo, input: AsyncIterable<string> | string): Promise<number> {
  if (!global.quiet) {
    io.stdout("Welcome to virsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n");
  }
  const prompt = (): string => (session.readonly ? 'virsh > ' : 'virsh # ');
  for await (const line of linesOf(input)) {
    io.stdout(`${prompt()}${line}\n`);
    if (await shellLine(session, io, line)) {
      io.stdout('\n');
      return 0;
    }
  }
  io.stdout(`${prompt()}\n`);
  return 0;
}
