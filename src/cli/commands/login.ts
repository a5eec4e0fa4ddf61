import { login, logout } from '../../engine/registry/index.js';
import { stringValue, UsageError } from '../args.js';
import type { Command, CommandContext } from '../context.js';
import { credentialStore, insecureRegistries } from '../credentials.js';
import { EXIT } from '../exit-codes.js';
import { print } from '../output.js';

/** Docker Hub, as `docker login` with no server logs in to. */
const DEFAULT_REGISTRY = 'docker.io';

export const loginCommand: Command = {
  summary: 'Log in to a registry',
  usage: [
    'tscompose login [OPTIONS] [SERVER]',
    '',
    '  -u, --username USER     the user name',
    '  -p, --password PASS     the password (visible to other users: prefer --password-stdin)',
    '  --password-stdin        read the password from standard input',
  ].join('\n'),
  options: {
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    'password-stdin': { type: 'boolean' },
  },
  run: async (ctx) => {
    const server = oneServer(ctx, 'login');
    const username = stringValue(ctx.args.values.username);
    let password = stringValue(ctx.args.values.password);
    if (ctx.args.values['password-stdin']) {
      if (password !== undefined) {
        throw new UsageError('login: --password and --password-stdin are mutually exclusive', {
          hint: 'pass the password one way',
        });
      }
      password = (await ctx.readStdin()).replace(/\r?\n$/, '');
    }
    if (!username || !password) {
      throw new UsageError('login needs a user name and a password', {
        hint: 'echo "$TOKEN" | tscompose login -u USER --password-stdin SERVER',
      });
    }
    if (ctx.args.values.password !== undefined) {
      ctx.out.stderr.write(
        'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n',
      );
    }
    const credentials = credentialStore(ctx);
    await login(server, username, password, {
      credentials,
      insecureRegistries: insecureRegistries(ctx),
    });
    print(ctx.out, 'Login Succeeded');
    return EXIT.ok;
  },
};

export const logoutCommand: Command = {
  summary: 'Log out from a registry',
  usage: 'tscompose logout [SERVER]',
  options: {},
  run: async (ctx) => {
    const server = oneServer(ctx, 'logout');
    const removed = await logout(server, { credentials: credentialStore(ctx) });
    print(
      ctx.out,
      removed ? `Removing login credentials for ${server}` : `Not logged in to ${server}`,
    );
    return EXIT.ok;
  },
};

function oneServer(ctx: CommandContext, command: string): string {
  const [server, ...extra] = ctx.args.positionals;
  if (extra.length > 0) {
    throw new UsageError(`${command} takes at most one server`, {
      hint: `tscompose ${command} 127.0.0.1:5000`,
    });
  }
  return server ?? DEFAULT_REGISTRY;
}
