// `packctl pack ls [-n NAME]`: one row per version, with its tags, from `GET /v1/packs?expand=versions`: one
// request per page. A registry older than that expansion answers summaries only; then each pack's document
// (`GET /v1/packs/{name}`) is asked for, as packctl always did.
import Table from 'cli-table3';
import { MAX_PAGE_SIZE, type ExpandedPackSummary, type PackDocument, type PackSummary } from '../../api/index.js';
import { withRegistry, type ClientContext } from '../context.js';
import { ApiError } from '../errors.js';
import { apiPath, type RegistryClient } from '../http.js';
import { printable } from '../printable.js';

export interface LsOptions {
  name?: string;
  registry?: string;
}

export interface PackRow {
  name: string;
  version: string;
  tags: string[];
  layer: string;
  pushedAt: string;
}

/** A page list can be long; a loop in the registry's Link headers must not make packctl loop forever. */
const MAX_PAGES = 10_000;

/** The target of the `rel="next"` link, as sent: the client checks it stays on the registry before following it. */
function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  return /<([^>]*)>\s*;\s*rel="?next"?/.exec(value ?? '')?.[1];
}

/** A page's entry: expanded (the pack's versions and tags), or a summary from a registry without expansion. */
type ListedPack = PackSummary & Partial<Pick<ExpandedPackSummary, 'versions' | 'tags'>>;

function isExpanded(pack: ListedPack): pack is ExpandedPackSummary {
  return Array.isArray(pack.versions) && Array.isArray(pack.tags);
}

/** Every page of `GET /v1/packs?expand=versions`, following the registry's next-page links. */
async function listedPacks(client: RegistryClient, nameFilter: string | undefined): Promise<ListedPack[]> {
  // The largest page the registry gives: fewest round trips.
  const query = new URLSearchParams({ n: String(MAX_PAGE_SIZE), expand: 'versions' });
  if (nameFilter) query.set('name', nameFilter);
  const packs: ListedPack[] = [];
  const seen = new Set<string>();
  let path: string | undefined = `/v1/packs?${query.toString()}`;
  for (let page = 0; path !== undefined && page < MAX_PAGES && !seen.has(path); page++) {
    seen.add(path);
    const { body, answer } = await client.json<{ packs: ListedPack[] }>(path);
    packs.push(...body.packs);
    const next = nextLink(answer.headers.link);
    path = next === undefined ? undefined : client.followLink(next, path, 'next-page link');
  }
  return packs;
}

/** The pack as the list gave it, or — from a registry without expansion — its own document; undefined once deleted. */
async function documentOf(client: RegistryClient, pack: ListedPack): Promise<PackDocument | undefined> {
  if (isExpanded(pack)) return pack;
  try {
    return (await client.json<PackDocument>(apiPath('packs', pack.name))).body;
  } catch (error) {
    // Deleted between the list and this request: it is simply no longer there to show.
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

export async function listRows(client: RegistryClient, nameFilter: string | undefined): Promise<PackRow[]> {
  const rows: PackRow[] = [];
  for (const listed of await listedPacks(client, nameFilter)) {
    const pack = await documentOf(client, listed);
    if (pack === undefined) continue;
    for (const version of pack.versions) {
      rows.push({
        name: pack.name,
        version: version.version,
        tags: pack.tags.filter((tag) => tag.version === version.version).map((tag) => tag.tag),
        layer: pack.layer,
        pushedAt: version.pushedAt,
      });
    }
  }
  return rows;
}

/** A borderless table, like `docker images`: readable on a terminal and easy to cut in a script. */
export function renderTable(rows: PackRow[]): string {
  const blank = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ' };
  const table = new Table({
    head: ['NAME', 'VERSION', 'TAGS', 'LAYER', 'PUSHED AT'],
    chars: blank,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) {
    // Every cell is the registry's text: made printable before the table measures and pads it.
    table.push([row.name, row.version, row.tags.join(','), row.layer, row.pushedAt.replace(/\.\d+Z$/, 'Z')].map(printable));
  }
  return table.toString().split('\n').map((line) => line.trimEnd()).join('\n');
}

export async function ls(ctx: ClientContext, options: LsOptions): Promise<void> {
  const rows = await withRegistry(ctx, options.registry, (client) => listRows(client, options.name));
  // renderTable made every cell printable; its line breaks are the table's own.
  ctx.stdout.write(`${renderTable(rows)}\n`);
}
