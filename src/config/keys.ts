import type * as z from 'zod';
import { rawConfigSchema } from './schema.js';

/**
 * The key tree, read from the schema itself so environment variables and "did you mean" hints can
 * never drift from what the file accepts.
 *
 * - a mapping of known child keys (an object section),
 * - `'entries'` for a mapping of free-form names (http.headers),
 * - `'value'` for a leaf.
 */
export type KeyNode =
  | { kind: 'section'; children: ReadonlyMap<string, z.core.$ZodType> }
  | { kind: 'entries' }
  | { kind: 'value' };

export function keyNodeAt(path: readonly string[]): KeyNode | undefined {
  let schema: z.core.$ZodType = rawConfigSchema;
  for (const key of path) {
    const node = describeSchema(schema);
    if (node.kind !== 'section') return undefined;
    const child = node.children.get(key);
    if (!child) return undefined;
    schema = child;
  }
  return describeSchema(schema);
}

function describeSchema(schema: z.core.$ZodType): KeyNode {
  const inner = unwrap(schema);
  const def = inner._zod.def;
  if (def.type === 'object') {
    return { kind: 'section', children: new Map(Object.entries((def as z.core.$ZodObjectDef).shape)) };
  }
  if (def.type === 'record') return { kind: 'entries' };
  return { kind: 'value' };
}

/** Looks through defaults, optionals, preprocessing and transforms to the schema that holds the keys. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
        current = (def as z.core.$ZodOptionalDef).innerType;
        break;
      case 'pipe': {
        const { in: input, out } = def as z.core.$ZodPipeDef;
        // z.preprocess(fn, schema) is a pipe from a transform into the schema; schema.transform(fn) is
        // a pipe from the schema into a transform. Either way the keys live on the non-transform side.
        current = input._zod.def.type === 'transform' ? out : input;
        break;
      }
      default:
        return current;
    }
  }
}

/** The closest known sibling, for "did you mean" hints on typos (edit distance at most 2). */
export function suggestKey(unknown: string, known: Iterable<string>): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
