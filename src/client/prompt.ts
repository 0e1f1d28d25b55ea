// Asking for a missing user name or password, only on a terminal: a script that forgot -u must fail
// with a usage error rather than hang waiting for input nobody will type.
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { CliError, EXIT } from './errors.js';

export interface PromptStreams {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

export function canPrompt(streams: PromptStreams): boolean {
  return streams.stdin.isTTY === true;
}

/**
 * Reads one line from the terminal. The prompt goes to stderr; with `hidden`, what is typed is not echoed
 * (readline writes its echo to an output that discards it).
 */
export async function ask(streams: PromptStreams, prompt: string, hidden = false): Promise<string> {
  const silent = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const rl = createInterface({ input: streams.stdin, output: hidden ? silent : streams.stderr, terminal: true });
  const cancelled = new Promise<never>((_resolve, reject) => {
    rl.once('SIGINT', () => reject(new CliError(EXIT.FAILURE, 'cancelled')));
  });
  try {
    if (hidden) streams.stderr.write(prompt);
    const answer = await Promise.race([rl.question(hidden ? '' : prompt), cancelled]);
    return answer;
  } finally {
    if (hidden) streams.stderr.write('\n');
    rl.close();
  }
}

/** All of standard input, without the final line break (`echo $PASS | packctl ... --password-stdin`). */
export async function readAllStdin(stdin: NodeJS.ReadStream): Promise<string> {
  return (await text(stdin)).replace(/\r?\n$/, '');
}
