/** `command`, `entrypoint` and hook commands: a string is split into words as compose-go does. */
import type { Scope } from './scope.js';
import { splitShellWords } from './shellwords.js';
import { scalarString } from './values.js';

export function normalizeCommand(value: unknown, scope: Scope): string[] {
  if (Array.isArray(value)) return value.map(scalarString);
  const line = scalarString(value);
  const split = splitShellWords(line);
  if (!split.ok) {
    throw scope.invalid(
      `cannot split ${JSON.stringify(line)} into words: ${split.reason}`,
      'balance the quotes, or write the command as a list',
    );
  }
  if (split.ignored) {
    scope.warn(
      `${JSON.stringify(split.ignored)} is not run: the command ends at the shell operator, as in ` +
        'Docker Compose; write ["sh", "-c", "…"] to run it through a shell',
    );
  }
  return split.words;
}
