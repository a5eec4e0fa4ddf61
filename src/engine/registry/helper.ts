import { spawn } from 'node:child_process';
import { RuntimeError } from '../../errors.js';

/** What a helper answers to `get` (docker-credential-helpers' JSON protocol). */
export interface HelperCredentials {
  ServerURL?: string;
  Username: string;
  Secret: string;
}

/** docker-credential-helpers says this on stdout, with exit code 1, for an unknown server. */
const NOT_FOUND = /credentials not found/i;

/**
 * Runs `docker-credential-NAME ACTION` with `input` on stdin, as the Docker CLI does:
 * `get` and `erase` take the server URL, `store` a JSON object. Returns stdout, or
 * undefined when the helper says it has nothing for that server.
 */
export async function runHelper(
  command: string,
  action: 'get' | 'store' | 'erase',
  input: string,
): Promise<string | undefined> {
  const { code, stdout, stderr, error } = await run(command, action, input);
  if (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new RuntimeError(
      missing
        ? `the credential helper ${command} is not installed`
        : `the credential helper ${command} could not run: ${error.message}`,
      {
        cause: error,
        hint: 'install it, or remove "credsStore"/"credHelpers" from the Docker config file',
      },
    );
  }
  if (code === 0) return stdout;
  if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined;
  throw new RuntimeError(
    `the credential helper ${command} failed to ${action}: ${(stdout || stderr).trim() || `exit code ${code}`}`,
    { hint: 'check that its keychain is unlocked and that it works on its own' },
  );
}

function run(command: string, action: string, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>(
    (resolve) => {
      const child = spawn(command, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (error) => resolve({ code: null, stdout, stderr, error }));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      // A helper that exits without reading stdin must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    },
  );
}
