import {
  InvalidError,
  NotFoundError,
  PermissionError,
  RuntimeError,
  UnsupportedError,
  type TsComposeError,
} from '../../errors.js';

interface ErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

/** Registries answer errors with small JSON bodies; a proxy's HTML page is cut short. */
const MAX_ERROR_BODY = 16 * 1024;

/**
 * A failed registry response as one of the project's error kinds, with the registry's own
 * code and message (the distribution spec's error body: `{"errors":[{"code", "message"}]}`).
 * `what` names the object in the user's words: `manifest 127.0.0.1:5000/app:dev`.
 */
export async function registryError(response: Response, what: string): Promise<TsComposeError> {
  const detail = await readDetail(response);
  const suffix = detail ? ` (${detail})` : '';
  switch (response.status) {
    case 404:
      return new NotFoundError(`${what} was not found${suffix}`, {
        hint: 'check the name and tag; a private repository also answers "not found" to strangers',
      });
    case 401:
    case 403:
      return new PermissionError(`access to ${what} was denied${suffix}`, {
        hint: 'log in with an account that may use this repository',
      });
    case 400:
      return new InvalidError(`the registry refused ${what}${suffix}`);
    case 405:
    case 501:
      return new UnsupportedError(`the registry does not allow this on ${what}${suffix}`, {
        hint: 'the registry may be read-only or a pull-through cache',
      });
    case 429:
      return new RuntimeError(`the registry is rate-limiting requests for ${what}${suffix}`, {
        hint: 'try again later, or log in: registries allow more to known accounts',
      });
    default:
      return new RuntimeError(`the registry answered ${response.status} for ${what}${suffix}`, {
        hint: 'the registry may be overloaded or down; try again later',
      });
  }
}

async function readDetail(response: Response): Promise<string> {
  let text = '';
  try {
    text = (await response.text()).slice(0, MAX_ERROR_BODY);
  } catch {
    return '';
  }
  try {
    const body = JSON.parse(text) as ErrorBody;
    const parts = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': '));
    if (parts.length > 0) return parts.join('; ');
  } catch {
    // not JSON: fall through to the first line of text
  }
  return text.split('\n')[0]!.trim().slice(0, 200);
}
