/**
 * Reading a secret (an API key, a pasted authorization code) without echoing it: from a hidden prompt
 * when stdin is a terminal (raw mode, nothing printed but the prompt), else the first line of stdin (a
 * pipe or a file). Never from argv, which every user of the machine can read.
 */
import { UsageError } from '../errors.js';

/** Longest secret read: no key or code comes close. */
const MAX_SECRET_CHARS = 64 * 1024;

/** The terminal asked to stop (Ctrl-C or Ctrl-D at the prompt). */
export class PromptCancelledError extends Error {
  override name = 'PromptCancelledError';
}

/** Reads one line from a terminal in raw mode, echoing nothing; backspace edits, Ctrl-C / Ctrl-D cancel. */
function hiddenLine(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    output.write(prompt);
    input.setRawMode(true);
    input.setEncoding('utf8');
    const done = (action: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      action();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(text));
        if (ch === '\u0003' || (ch === '\u0004' && text === '')) return done(() => reject(new PromptCancelledError('Cancelled.')));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (text.length < MAX_SECRET_CHARS) text += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** The first line of a non-terminal stdin (up to MAX_SECRET_CHARS). */
function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', onError);
      input.pause();
      resolve(text.split(/\r?\n/)[0] ?? '');
    };
    const onError = (error: Error) => reject(error);
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n') || text.length >= MAX_SECRET_CHARS) finish();
    };
    input.on('data', onData);
    input.on('end', finish);
    input.on('error', onError);
    input.resume();
  });
}

/**
 * Reads a secret: a hidden prompt on a terminal (prompt on `output`), else the first line of stdin.
 * Surrounding whitespace is trimmed; an empty answer is a UsageError naming `what`.
 */
export async function readSecret(what: string, prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  const raw = input.isTTY ? await hiddenLine(input, output, prompt) : await firstLine(input);
  const value = raw.trim();
  if (value === '') throw new UsageError(`No ${what} was given: type it at the prompt, or pipe it on stdin.`);
  return value;
}
