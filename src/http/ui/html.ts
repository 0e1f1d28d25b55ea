// The one way the web UI writes HTML: a tagged template that escapes every interpolated value unless it is
// already Html (made here, by markdown.ts or by highlight.ts, each of which escapes what it was given). A
// pack's README, names, values and file names all come from whoever may push, so escaping is the default and
// trusting markup is the exception that has to be spelled out.

/** Markup that is safe to insert as it is. Only this module, markdown.ts and highlight.ts make one. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an element's content or a quoted attribute value: `& < > " '` escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character] as string);
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * `html\`<a href="${url}">${name}</a>\``: every value is escaped (arrays are joined, `null`, `undefined` and
 * `false` write nothing) unless it is Html. Attribute values must be quoted in the template.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) out += render(values[index] as HtmlValue) + (strings[index + 1] ?? '');
  return new Html(out);
}

/** Markup escaped by its maker (markdown-it, highlight.js); never call it with text from a pack. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A path segment for a link: a pack name, a version or a tag, percent-encoded. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** `?a=1&b=2` from the parameters that are set; '' when none is. */
export function query(parameters: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined && value !== '') search.set(key, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** 1536 → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** An ISO instant as `2026-11-29 11:46 UTC`, inside a <time> element carrying the exact value. */
export function time(iso: string): Html {
  const shown = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
  return html`<time datetime="${iso}">${shown}</time>`;
}

/**
 * The UI's own address of a logo the API names `…/v1/{name}/blobs/sha256:<hex>?type=…` (see routes.ts,
 * `/ui/logos/`: it waits its turn for the file reader where the API's route refuses at once); none without one.
 */
export function logoPath(name: string, logoUrl: string | undefined): string | undefined {
  const sha256 = logoUrl === undefined ? undefined : /\/blobs\/sha256:([0-9a-f]{64})(?:\?|$)/.exec(logoUrl)?.[1];
  return sha256 === undefined ? undefined : `/ui/logos/${encodeURIComponent(name)}/sha256:${sha256}`;
}
