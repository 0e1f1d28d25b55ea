// `/packs/{name}/{ref}`: one version — its facts and digest, ready-to-paste pull commands with copy buttons and
// the archive link, the README rendered (inert: see markdown.ts), values.yaml and presets.yaml / schema.yaml
// highlighted, the charts and the file list with sizes and SHA-256.
import type { TagEntry, VersionDocument } from '../../../api/index.js';
import { highlightYaml } from '../highlight.js';
import { formatBytes, html, logoPath, segment, time, type Html } from '../html.js';
import { page, type Viewer } from '../layout.js';
import { MAX_RENDERED_MARKDOWN_BYTES, renderMarkdown } from '../markdown.js';
import { tagChip } from './pack.js';

/** A text file of the version as the page got it: read, absent from the pack, or not readable now. */
export type FileText = { state: 'text'; path: string; text: string } | { state: 'absent' } | { state: 'unavailable'; path: string; reason: string };

export interface Commands {
  /** `https://host:port`, where the browser reached the registry (or `http.host`). */
  baseUrl: string;
  /** `host:port` as packctl's `-r` takes it. */
  server: string;
}

export function versionPage(viewer: Viewer, version: VersionDocument, tags: readonly TagEntry[], readme: FileText, values: FileText, commands: Commands): Html {
  const pack = `/packs/${segment(version.name)}`;
  const archive = `/v1/packs/${segment(version.name)}/${segment(version.version)}/archive`;
  const reference = `${version.name}:${version.version}`;
  const credentials = viewer.anonymous ? '' : viewer.name.startsWith('token:') ? ' -H "Authorization: Bearer $TOKEN"' : ` -u ${shellWord(viewer.name)}`;
  return page(
    `${version.displayName} ${version.version}`,
    viewer,
    html`<p class="small"><a href="/">Packs</a> / <a href="${pack}">${version.name}</a> / ${version.version}</p>
<div class="card"><div class="cmd">${logoPath(version.name, version.logoUrl) ? html`<img class="logo" src="${logoPath(version.name, version.logoUrl)}" alt="" width="32" height="32">` : ''}<h1>${version.displayName} <span class="mono">${version.version}</span></h1></div>
<p>${tags.map(tagChip)}</p>
<dl class="facts">
<dt>Name</dt><dd class="mono">${version.name}</dd>
<dt>Layer</dt><dd>${version.layer}</dd>
<dt>Addon type</dt><dd>${version.addonType ?? '—'}${version.addonSubType ? html` / ${version.addonSubType}` : ''}</dd>
<dt>Cloud types</dt><dd>${version.cloudTypes.map((type) => html`<span class="chip">${type}</span>`)}</dd>
<dt>Group</dt><dd>${version.group ?? '—'}</dd>
${version.eol ? html`<dt>End of life</dt><dd>${version.eol}</dd>` : ''}
<dt>Digest</dt><dd class="mono" id="digest">${version.digest}</dd>
<dt>Archive digest</dt><dd class="mono">${version.archiveDigest}</dd>
<dt>Size</dt><dd>${formatBytes(version.size)}</dd>
<dt>Pushed</dt><dd>${time(version.pushedAt)} by ${version.pushedBy}</dd>
<dt>Message</dt><dd>${version.message ?? '—'}</dd>
</dl></div>
<h2>Get it</h2>
<div class="card">
${command('cmd-packctl', `packctl pack pull ${reference} . -r ${commands.server}`)}
${command('cmd-curl', `curl -fOJ${credentials} ${commands.baseUrl}${archive}`)}
<p><a href="${archive}" download>Download the archive</a> <span class="muted small">(${formatBytes(version.size)}, .tar.gz)</span></p>
</div>
<h2>README</h2>
<div class="card readme">${readmeBlock(readme)}</div>
<h2>values.yaml</h2>
<div class="card">${yamlBlock(values, 'values.yaml', 'values')}</div>
${version.presets === null ? '' : html`<h2>presets.yaml</h2><div class="card">${yamlBlock({ state: 'text', path: 'presets.yaml', text: version.presets }, 'presets.yaml', 'presets')}</div>`}
${version.schema === null ? '' : html`<h2>schema.yaml</h2><div class="card">${yamlBlock({ state: 'text', path: 'schema.yaml', text: version.schema }, 'schema.yaml', 'schema')}</div>`}
${version.charts.length === 0 ? '' : chartsTable(version)}
<h2>Files <span class="muted small">(${version.files.length})</span></h2>
<div class="card">${filesTable(version)}</div>`,
  );
}

/** A word for a POSIX shell: as it is when it is plainly safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function command(id: string, text: string): Html {
  return html`<div class="cmd"><pre id="${id}">${text}</pre><button type="button" data-copy="${id}">Copy</button></div>`;
}

function readmeBlock(readme: FileText): Html {
  if (readme.state === 'absent') return html`<p class="muted">This version has no README.md.</p>`;
  if (readme.state === 'unavailable') return html`<p class="notice">${readme.path} could not be shown: ${readme.reason}.</p>`;
  if (Buffer.byteLength(readme.text) > MAX_RENDERED_MARKDOWN_BYTES) {
    return html`<p class="notice">${readme.path} is larger than ${MAX_RENDERED_MARKDOWN_BYTES / 1024} KiB; it is shown as plain text.</p><pre>${readme.text}</pre>`;
  }
  return renderMarkdown(readme.text);
}

function yamlBlock(file: FileText, name: string, id: string): Html {
  if (file.state === 'absent') return html`<p class="muted">This version has no ${name}.</p>`;
  if (file.state === 'unavailable') return html`<p class="notice">${file.path} could not be shown: ${file.reason}.</p>`;
  if (file.text.trim() === '') return html`<p class="muted">${name} is empty.</p>`;
  return html`<pre class="yaml" id="yaml-${id}"><code>${highlightYaml(file.text)}</code></pre>`;
}

function chartsTable(version: VersionDocument): Html {
  return html`<h2>Charts</h2><div class="card"><table class="charts"><thead><tr><th>Path</th><th>Chart</th><th>Version</th><th>App version</th></tr></thead><tbody>
${version.charts.map(
  (chart) => html`<tr><td class="mono">${chart.path}</td><td>${chart.name ?? '—'}</td><td class="mono">${chart.version ?? '—'}</td><td class="mono">${chart.appVersion ?? '—'}</td></tr>`,
)}</tbody></table></div>`;
}

/** The file list sorted by path; each path's folders shown muted before its name, indented by depth. */
function filesTable(version: VersionDocument): Html {
  const files = [...version.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const base = `/v1/packs/${segment(version.name)}/${segment(version.version)}/files/`;
  return html`<table class="files"><thead><tr><th>Path</th><th class="num">Size</th><th>SHA-256</th></tr></thead><tbody>
${files.map((file) => {
  const slash = file.path.lastIndexOf('/');
  const folder = slash < 0 ? '' : file.path.slice(0, slash + 1);
  const name = file.path.slice(slash + 1);
  const href = base + file.path.split('/').map(segment).join('/');
  return html`<tr data-path="${file.path}"><td class="mono"><span class="muted">${folder}</span><a href="${href}">${name}</a></td><td class="num">${formatBytes(file.size)}</td><td class="mono small">${file.sha256}</td></tr>
`;
})}</tbody></table>`;
}
