/** `-e KEY=VALUE` flags as a mapping; `-e KEY` alone takes the value from the shell, as Docker. */
export function envPairs(
  pairs: string[],
  environment: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, environment[pair] ?? ''] : [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
