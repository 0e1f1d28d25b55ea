// `/packs/{name}`: a pack's versions, newest first, each with its tags (parent tags such as `1.28.x`, kept by
// the registry, marked apart), a form to compare two versions, and the push history with messages and users.
import type { HistoryEvent, PackDocument, TagEntry } from '../../../api/index.js';
import type { PageOf } from '../../../registry/registry.js';
import { formatBytes, html, logoPath, query, segment, time, type Html } from '../html.js';
import { page, type Viewer } from '../layout.js';

export function packPage(viewer: Viewer, pack: PackDocument, history: PageOf<HistoryEvent>, historyFrom: string | undefined): Html {
  const base = `/packs/${segment(pack.name)}`;
  const tagsByVersion = new Map<string, TagEntry[]>();
  for (const tag of pack.tags) tagsByVersion.set(tag.version, [...(tagsByVersion.get(tag.version) ?? []), tag]);
  const newestFirst = [...pack.versions].reverse();
  return page(
    pack.displayName,
    viewer,
    html`<p class="small"><a href="/">Packs</a> / ${pack.name}</p>
<div class="card"><div class="cmd">${logoPath(pack.name, pack.logoUrl) ? html`<img class="logo" src="${logoPath(pack.name, pack.logoUrl)}" alt="" width="32" height="32">` : ''}<h1>${pack.displayName}</h1></div>
<dl class="facts"><dt>Name</dt><dd class="mono">${pack.name}</dd><dt>Latest version</dt><dd><a class="mono" href="${base}/${segment(pack.latestVersion)}">${pack.latestVersion}</a></dd>
<dt>Layer</dt><dd>${pack.layer}</dd><dt>Addon type</dt><dd>${pack.addonType ?? '—'}</dd><dt>Cloud types</dt><dd>${pack.cloudTypes.map((type) => html`<span class="chip">${type}</span>`)}</dd>
<dt>Last change</dt><dd>${time(pack.updatedAt)}</dd></dl></div>
<h2>Versions</h2>
<div class="card"><table class="versions">
<thead><tr><th>Version</th><th>Tags</th><th class="num">Size</th><th>Pushed</th><th>By</th><th>Digest</th></tr></thead>
<tbody>
${newestFirst.map(
  (version) => html`<tr data-version="${version.version}"><td><a class="mono" href="${base}/${segment(version.version)}">${version.version}</a></td><td>${(tagsByVersion.get(version.version) ?? []).map(tagChip)}</td><td class="num">${formatBytes(version.size)}</td><td class="small">${time(version.pushedAt)}</td><td>${version.pushedBy}</td><td class="mono small" title="${version.digest}">${version.digest.slice(0, 19)}…</td></tr>
`,
)}</tbody></table>
<p class="small muted"><span class="tag">tag</span> a version or user tag · <span class="tag auto">1.28.x</span> a parent tag, kept by the registry at the newest matching version</p></div>
${newestFirst.length > 1 ? compareForm(pack.name, newestFirst.map((version) => version.version)) : ''}
<h2>History</h2>
<div class="card">${historyTable(history.items)}
<nav class="pager">${historyFrom ? html`<a href="${base}">Newest events</a>` : ''}${
      history.next === undefined ? '' : html`<a href="${base}${query({ events: history.next })}" rel="next">Older events</a>`
    }</nav></div>`,
  );
}

export function tagChip(tag: TagEntry): Html {
  return tag.auto
    ? html`<span class="tag auto" title="parent tag: the registry keeps it at the newest matching version">${tag.tag}</span>`
    : html`<span class="tag">${tag.tag}</span>`;
}

/** Two version choices, newest against the one before it by default. */
export function compareForm(name: string, newestFirst: readonly string[], chosen?: { from: string; to: string }): Html {
  const from = chosen?.from ?? newestFirst[1] ?? '';
  const to = chosen?.to ?? newestFirst[0] ?? '';
  const options = (selected: string) =>
    newestFirst.map((version) => html`<option value="${version}"${version === selected ? html` selected` : ''}>${version}</option>`);
  return html`<form class="filters compare" method="get" action="/packs/${segment(name)}/-/diff">
<label>From<select name="from">${options(from)}</select></label>
<label>To<select name="to">${options(to)}</select></label>
<button type="submit">Compare</button></form>`;
}

function historyTable(events: readonly HistoryEvent[]): Html {
  if (events.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<table class="history"><thead><tr><th>When</th><th>User</th><th>Action</th><th>Version</th><th>Tag</th><th>Message</th></tr></thead><tbody>
${events.map(
  (event) => html`<tr><td class="small">${time(event.at)}</td><td>${event.user}</td><td>${event.action}</td><td class="mono">${event.version ?? ''}</td><td class="mono">${event.tag ?? ''}</td><td>${event.message ?? ''}</td></tr>
`,
)}</tbody></table>`;
}
