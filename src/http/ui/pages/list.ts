// `/`: the pack list — logo, names, latest version, layer, addon type, cloud types, last change — with filters
// and a name search. The server filters and pages (the index's packsPage, by name, one page at a time); the script only
// asks for `/ui/fragments/packs` as the visitor types and swaps the results in.
import type { PackSummary } from '../../../api/index.js';
import type { PackFacets, PageOf } from '../../../registry/registry.js';
import { html, logoPath, query, segment, time, type Html } from '../html.js';
import { page, type Viewer } from '../layout.js';

export interface ListQuery {
  name?: string;
  layer?: string;
  cloudType?: string;
  addonType?: string;
  group?: string;
  /** The last pack name of the previous page. */
  last?: string;
}

export const LIST_FRAGMENT_PATH = '/ui/fragments/packs';

export function listPage(viewer: Viewer, facets: PackFacets, filters: ListQuery, result: PageOf<PackSummary>): Html {
  return page(
    'Packs',
    viewer,
    html`<h1>Packs</h1>
<form class="filters" method="get" action="/" data-live-list="${LIST_FRAGMENT_PATH}" role="search">
<label>Name<input type="search" name="name" value="${filters.name ?? ''}" placeholder="part of a pack name" autocomplete="off" autofocus></label>
${select('Layer', 'layer', facets.layers, filters.layer)}
${select('Cloud type', 'cloudType', facets.cloudTypes, filters.cloudType)}
${select('Addon type', 'addonType', facets.addonTypes, filters.addonType)}
${select('Group', 'group', facets.groups, filters.group)}
<button type="submit">Filter</button> <a href="/">Clear</a>
</form>
<div id="results">${listResults(filters, result)}</div>`,
  );
}

function select(label: string, name: string, values: readonly string[], chosen: string | undefined): Html {
  // A value asked for that no pack has (any more) stays chosen, so the page says what it filtered by.
  const options = chosen && !values.includes(chosen) ? [chosen, ...values] : values;
  return html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
    (value) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${value}</option>`,
  )}</select></label>`;
}

/** The table and the pager: the whole page's results, and what the fragment route answers. */
export function listResults(filters: ListQuery, result: PageOf<PackSummary>): Html {
  const filtered = Boolean(filters.name || filters.layer || filters.cloudType || filters.addonType || filters.group);
  if (result.items.length === 0) {
    return html`<p class="muted" data-empty>${filtered ? 'No pack matches these filters.' : 'The registry holds no packs yet.'}</p>`;
  }
  const keep = { name: filters.name, layer: filters.layer, cloudType: filters.cloudType, addonType: filters.addonType, group: filters.group };
  return html`<table class="packs">
<thead><tr><th></th><th>Pack</th><th>Latest</th><th>Layer</th><th>Addon type</th><th>Cloud types</th><th>Last change</th></tr></thead>
<tbody>
${result.items.map(packRow)}
</tbody>
</table>
<nav class="pager">${filters.last ? html`<a href="/${query(keep)}">First page</a>` : ''}${
    result.next === undefined ? '' : html`<a href="/${query({ ...keep, last: result.next })}" rel="next">Next page</a>`
  }</nav>`;
}

function packRow(pack: PackSummary): Html {
  const href = `/packs/${segment(pack.name)}`;
  const logo = logoPath(pack.name, pack.logoUrl)
    ? html`<img class="logo" src="${logoPath(pack.name, pack.logoUrl)}" alt="" width="32" height="32" loading="lazy" decoding="async">`
    : html`<span class="logo none"></span>`;
  return html`<tr data-pack="${pack.name}"><td>${logo}</td><td><a href="${href}"><strong>${pack.displayName}</strong></a><br><span class="mono small muted">${pack.name}</span></td><td><a class="mono" href="${href}/${segment(pack.latestVersion)}">${pack.latestVersion}</a></td><td>${pack.layer}</td><td>${pack.addonType ?? ''}</td><td>${pack.cloudTypes.map((type) => html`<span class="chip">${type}</span>`)}</td><td class="small">${time(pack.updatedAt)}</td></tr>
`;
}
