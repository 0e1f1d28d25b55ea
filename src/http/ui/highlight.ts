// YAML syntax highlighting on the server: highlight.js core with the YAML grammar only (no other language is
// loaded, nothing guesses a language). highlight.js escapes the text it wraps in its <span class="hljs-…">,
// which the stylesheet colours; no script runs in the browser for it.
import hljs from 'highlight.js/lib/core';
import yaml from 'highlight.js/lib/languages/yaml';
import { escapeHtml, trusted, type Html } from './html.js';

hljs.registerLanguage('yaml', yaml);

/**
 * Files larger than this are shown escaped but not highlighted: highlighting is synchronous, and a values.yaml
 * may be 4 MiB (the pack rules' limit), which would hold the event loop for far too long.
 */
export const MAX_HIGHLIGHTED_BYTES = 128 * 1024;

export function highlightYaml(source: string): Html {
  if (Buffer.byteLength(source) > MAX_HIGHLIGHTED_BYTES) return trusted(escapeHtml(source));
  return trusted(hljs.highlight(source, { language: 'yaml', ignoreIllegals: true }).value);
}
