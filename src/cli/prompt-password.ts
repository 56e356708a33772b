import { createInterface } from 'node:readline';
import { ValidationError } from '../errors.js';

/**
 * The password for a CLI command: `KEEL_USER_PASSWORD` (scripts, CI), else typed at a prompt
 * that does not echo. Never an argument, which would land in shell history and `ps`.
 */
export async function promptPassword(question: string): Promise<string> {
  const fromEnv = process.env.KEEL_USER_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY)
    throw new ValidationError(
      'password_required',
      'Set KEEL_USER_PASSWORD or run in a terminal to type the password',
    );
  const readline = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
  });
  const output = readline as unknown as { _writeToOutput: (text: string) => void };
  let muted = false;
  output._writeToOutput = (text: string) => {
    if (!muted || text.includes(question)) process.stdout.write(text);
  };
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      muted = false;
      readline.question(prompt, (answer) => resolve(answer));
      muted = true;
    });
  try {
    const password = await ask(question);
    process.stdout.write('\n');
    const again = await ask('Repeat it: ');
    process.stdout.write('\n');
    if (password !== again)
      throw new ValidationError('passwords_differ', 'The two passwords differ');
    return password;
  } finally {
    readline.close();
  }
}
