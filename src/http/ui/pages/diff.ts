// `/packs/{name}/-/diff?from=&to=`: what changed between any two versions of a pack — values.yaml line by line
// (unchanged stretches folded) and the file list (added, removed, changed by SHA-256 or size).
import type { VersionDocument } from '../../../api/index.js';
import { fileListDiff, foldUnchanged, lineDiff, type DiffLine } from '../diff.js';
import { formatBytes, html, segment, type Html } from '../html.js';
import { page, type Viewer } from '../layout.js';
import { compareForm } from './pack.js';
import type { FileText } from './version.js';

export function diffPage(
  viewer: Viewer,
  versions: { newestFirst: readonly string[]; from: VersionDocument; to: VersionDocument },
  values: { from: FileText; to: FileText },
): Html {
  const { from, to } = versions;
  const pack = `/packs/${segment(from.name)}`;
  const changes = fileListDiff(from.files, to.files);
  return page(
    `${from.name} ${from.version} → ${to.version}`,
    viewer,
    html`<p class="small"><a href="/">Packs</a> / <a href="${pack}">${from.name}</a> / compare</p>
<h1>${from.displayName}: <a class="mono" href="${pack}/${segment(from.version)}">${from.version}</a> → <a class="mono" href="${pack}/${segment(to.version)}">${to.version}</a></h1>
${compareForm(from.name, versions.newestFirst, { from: from.version, to: to.version })}
<p class="muted small">Content digests: <span class="mono">${from.digest}</span> → <span class="mono">${to.digest}</span>${from.digest === to.digest ? ' (the same content)' : ''}</p>
<h2>values.yaml</h2>
<div class="card">${valuesDiff(values.from, values.to)}</div>
<h2>Files <span class="muted small">(${changes.length} changed)</span></h2>
<div class="card">${
      changes.length === 0
        ? html`<p class="muted">The two versions hold the same files.</p>`
        : html`<table class="file-changes"><thead><tr><th>Change</th><th>Path</th><th class="num">Size</th><th>SHA-256</th></tr></thead><tbody>
${changes.map(
  (change) => html`<tr data-change="${change.change}"><td class="change-${change.change}">${change.change}</td><td class="mono">${change.path}</td><td class="num">${sizes(change.from?.size, change.to?.size)}</td><td class="mono small">${hashes(change.from?.sha256, change.to?.sha256)}</td></tr>
`,
)}</tbody></table>`
    }</div>`,
  );
}

function sizes(from: number | undefined, to: number | undefined): string {
  if (from === undefined) return formatBytes(to ?? 0);
  if (to === undefined) return formatBytes(from);
  return from === to ? formatBytes(to) : `${formatBytes(from)} → ${formatBytes(to)}`;
}

function hashes(from: string | undefined, to: string | undefined): Html {
  if (from === undefined || to === undefined) return html`${(from ?? to ?? '').slice(0, 16)}…`;
  return html`${from.slice(0, 16)}… → ${to.slice(0, 16)}…`;
}

function valuesDiff(from: FileText, to: FileText): Html {
  for (const side of [from, to]) {
    if (side.state === 'unavailable') return html`<p class="notice">${side.path} could not be read: ${side.reason}.</p>`;
  }
  const text = (side: FileText) => (side.state === 'text' ? side.text : '');
  const diff = lineDiff(text(from), text(to));
  if (!diff.ok) return html`<p class="notice">No line diff: ${diff.reason}.</p>`;
  if (diff.added === 0 && diff.removed === 0) return html`<p class="muted">values.yaml is the same in both versions.</p>`;
  return html`<p class="small"><span class="change-added">+${diff.added}</span> <span class="change-removed">−${diff.removed}</span> lines</p>
<table class="diff mono"><tbody>
${foldUnchanged(diff.lines).map((hunk) =>
  hunk.kind === 'folded'
    ? html`<tr class="folded"><td class="ln"></td><td class="ln"></td><td>${hunk.count} unchanged line${hunk.count === 1 ? '' : 's'}</td></tr>
`
    : hunk.lines.map(diffRow),
)}</tbody></table>`;
}

function diffRow(line: DiffLine): Html {
  const mark = line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' ';
  return html`<tr class="${line.kind}"><td class="ln">${line.from ?? ''}</td><td class="ln">${line.to ?? ''}</td><td>${mark} ${line.text}</td></tr>
`;
}
