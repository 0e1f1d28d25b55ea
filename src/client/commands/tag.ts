// `packctl pack tag add NAME:TAG LABEL [-g GROUP]` and `packctl pack tag delete NAME:TAG`. Labels and
// groups are checked with the registry's own naming rules before anything is sent.
import type { TagEntry } from '../../api/index.js';
import { TAG_GROUP_SEPARATOR, isValidGroup, isValidTagLabel } from '../../packs/index.js';
import { withRegistry, type ClientContext } from '../context.js';
import { usageError } from '../errors.js';
import { apiPath } from '../http.js';
import { writeLines } from '../printable.js';
import { parseVersionReference } from '../references.js';

export interface TagAddOptions {
  group?: string;
  registry?: string;
}

export interface TagDeleteOptions {
  registry?: string;
}

/** `[group__]label`, each part checked the way the registry checks it. */
export function composeTag(label: string, group: string | undefined): string {
  if (!isValidTagLabel(label)) {
    throw usageError(
      `"${label}" is not a valid tag label: letters, digits, ".", "_", "-" (starting with a letter or digit), no "${TAG_GROUP_SEPARATOR}", not "tags" or "history"`,
    );
  }
  if (group === undefined) return label;
  if (!isValidGroup(group)) throw usageError(`"${group}" is not a valid tag group: letters, digits, ".", "_", "-"`);
  return `${group}${TAG_GROUP_SEPARATOR}${label}`;
}

/** A tag given to delete: `[group__]label`. */
function checkTag(tag: string): void {
  const separator = tag.indexOf(TAG_GROUP_SEPARATOR);
  if (separator < 0) composeTag(tag, undefined);
  else composeTag(tag.slice(separator + TAG_GROUP_SEPARATOR.length), tag.slice(0, separator));
}

export async function tagAdd(ctx: ClientContext, source: string, label: string, options: TagAddOptions): Promise<void> {
  const { name, ref } = parseVersionReference(source, 'NAME:TAG or NAME@DIGEST');
  const tag = composeTag(label, options.group);
  const result = await withRegistry(ctx, options.registry, async (client) => {
    const { body } = await client.json<TagEntry>(apiPath('packs', name, 'tags', tag), {
      method: 'PUT',
      json: { reference: ref },
    });
    return body;
  });
  writeLines(ctx.stdout, [`Tagged ${name}:${ref} as ${name}:${result?.tag ?? tag} (version ${result?.version ?? ref})`]);
}

export async function tagDelete(ctx: ClientContext, reference: string, options: TagDeleteOptions): Promise<void> {
  const { name, ref: tag } = parseVersionReference(reference, 'NAME:TAG');
  checkTag(tag);
  await withRegistry(ctx, options.registry, async (client) => {
    await client.expectSuccess(await client.send(apiPath('packs', name, 'tags', tag), { method: 'DELETE' }));
  });
  writeLines(ctx.stdout, [`Deleted tag ${name}:${tag}`]);
}
