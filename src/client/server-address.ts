// A registry is named the way Docker and the Spectro CLI name one: `host[:port]`, no scheme. The same
// string is the key in config.json and the folder name under certs.d, so it is kept as typed.
import { usageError, type CliError } from './errors.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Checks `host[:port]` and returns it unchanged; a URL given by mistake gets a message showing the fix. */
export function parseServer(input: string, command = 'packctl registry login'): string {
  const scheme = SCHEME.exec(input);
  if (scheme) {
    const bare = input.slice(scheme[0].length).replace(/\/+$/, '');
    const insecureHint = scheme[1]?.toLowerCase() === 'http' ? ' --insecure' : '';
    return fail(
      `"${input}" includes a scheme; give the registry as host[:port] without "${scheme[0]}", e.g. ${command} ${bare}${insecureHint}` +
        (insecureHint ? ' (--insecure allows plain http when the registry has TLS off)' : ''),
    );
  }
  if (input === '' || /[\s/?#@\\]/.test(input)) {
    return fail(`"${input}" is not a registry address: give it as host[:port], e.g. registry.example.com:5000`);
  }
  let url: URL;
  try {
    url = new URL(`https://${input}`);
  } catch {
    return fail(`"${input}" is not a registry address: give it as host[:port], e.g. registry.example.com:5000`);
  }
  if (url.hostname === '' || url.username !== '' || url.pathname !== '/') {
    return fail(`"${input}" is not a registry address: give it as host[:port], e.g. registry.example.com:5000`);
  }
  return input;
}

function fail(message: string): never {
  const error: CliError = usageError(message);
  throw error;
}
