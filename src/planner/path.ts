/** A location inside a compose document: mapping keys and sequence indexes, outermost first. */
export type YamlPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * A path in the user's words: `services.web.ports[1]`. Keys that would be ambiguous
 * with dots (a service called `api.v2`) are quoted: `services["api.v2"].image`.
 */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
