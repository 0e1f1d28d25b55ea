// The web UI's escaping, Markdown, highlighting and diff helpers on hostile input. The same pages are proved
// inert in a real browser by test/browser/web-ui.test.ts; these catch a regression in milliseconds.
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ASSETS } from '../../src/http/ui/assets.js';
import { fileListDiff, foldUnchanged, lineDiff } from '../../src/http/ui/diff.js';
import { highlightYaml, MAX_HIGHLIGHTED_BYTES } from '../../src/http/ui/highlight.js';
import { html, trusted } from '../../src/http/ui/html.js';
import { renderMarkdown } from '../../src/http/ui/markdown.js';

describe('the escaping template', () => {
  it('escapes every interpolated value, in text and attributes, and joins arrays', () => {
    const name = `"><img src=x onerror=alert(1)>&'`;
    expect(html`<a title="${name}">${[name, 1, null, false, undefined]}</a>`.text).toBe(
      '<a title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;1</a>',
    );
  });

  it('inserts Html as it is', () => {
    expect(html`<p>${trusted('<b>x</b>')}${html`<i>${'<'}</i>`}</p>`.text).toBe('<p><b>x</b><i>&lt;</i></p>');
  });
});

describe('README rendering', () => {
  const hostile = [
    '<script>window.pwned=1</script>',
    '<img src="x" onerror="window.pwned=1">',
    '[js](javascript:window.pwned=1) [vb](vbscript:msgbox) [file](file:///etc/passwd) [data](data:text/html;base64,PHNjcmlwdD4=)',
    '<a href="#" onclick="window.pwned=1">raw</a>',
    '[fine](https://example.org/a)',
  ].join('\n\n');
  const rendered = renderMarkdown(hostile).text;

  it('writes raw HTML as text', () => {
    expect(rendered).not.toMatch(/<script|<img|<a href="#"|<iframe/i);
    expect(rendered).toContain('&lt;script&gt;');
    expect(rendered).toContain('&lt;img src=&quot;x&quot; onerror=&quot;window.pwned=1&quot;&gt;');
  });

  it('refuses javascript:, vbscript:, file: and data: links, and marks the others nofollow', () => {
    const links = [...rendered.matchAll(/<a ([^>]*)>/g)].map((match) => match[1]);
    expect(links).toEqual(['href="https://example.org/a" rel="noopener noreferrer nofollow"']);
  });
});

describe('YAML highlighting', () => {
  it('escapes what it highlights', () => {
    const out = highlightYaml('a: "</code></pre><script>x()</script>"\nb: <img onerror=x>\n').text;
    expect(out).toContain('hljs-attr');
    expect(out).not.toMatch(/<script|<img|<\/code>|<\/pre>/);
  });

  it('leaves a file beyond the cap unhighlighted but escaped', () => {
    const big = `k: "<script>"\n${'x: 1\n'.repeat(MAX_HIGHLIGHTED_BYTES / 5)}`;
    const out = highlightYaml(big).text;
    expect(out).not.toContain('hljs-');
    expect(out.startsWith('k: &quot;&lt;script&gt;&quot;')).toBe(true);
  });
});

describe('version diffs', () => {
  it('numbers the lines of each side and counts what changed', () => {
    const diff = lineDiff('a: 1\nb: 2\nc: 3\n', 'a: 1\nb: 20\nc: 3\nd: 4\n');
    expect(diff.ok && diff.lines.map((line) => `${line.kind}:${line.from ?? '-'}:${line.to ?? '-'}:${line.text}`)).toEqual([
      'same:1:1:a: 1',
      'removed:2:-:b: 2',
      'added:-:2:b: 20',
      'same:3:3:c: 3',
      'added:-:4:d: 4',
    ]);
    expect(diff.ok && [diff.added, diff.removed]).toEqual([2, 1]);
  });

  it('gives up on two unrelated large files instead of working through them', () => {
    const side = (seed: number) => Array.from({ length: 20_000 }, (_, index) => `key${(index * seed) % 19_997}: ${seed}`).join('\n');
    expect(lineDiff(side(7), side(13))).toMatchObject({ ok: false });
    expect(lineDiff('x'.repeat(600 * 1024), '')).toMatchObject({ ok: false });
  });

  it('folds unchanged stretches beyond three lines of context', () => {
    const from = Array.from({ length: 20 }, (_, index) => `line ${index}`).join('\n');
    const diff = lineDiff(from, from.replace('line 10', 'line ten'));
    const hunks = diff.ok ? foldUnchanged(diff.lines) : [];
    expect(hunks.map((hunk) => (hunk.kind === 'folded' ? `folded ${hunk.count}` : `${hunk.lines.length} lines`))).toEqual(['folded 7', '8 lines', 'folded 6']);
  });

  it('lists files added, removed and changed by hash or size', () => {
    const file = (path: string, sha256: string, size = 1) => ({ path, sha256, size });
    expect(fileListDiff([file('a', '1'), file('b', '2'), file('c', '3')], [file('a', '1'), file('b', '9'), file('d', '4'), file('c', '3', 2)])).toEqual([
      { path: 'b', change: 'changed', from: file('b', '2'), to: file('b', '9') },
      { path: 'c', change: 'changed', from: file('c', '3'), to: file('c', '3', 2) },
      { path: 'd', change: 'added', to: file('d', '4') },
    ]);
  });
});

describe('the static assets', () => {
  it('are named by their content and the script parses', () => {
    expect(ASSETS.script.path).toMatch(/^\/ui\/assets\/app\.[0-9a-f]{16}\.js$/);
    expect(ASSETS.stylesheet.path).toMatch(/^\/ui\/assets\/app\.[0-9a-f]{16}\.css$/);
    expect(() => new Script(ASSETS.script.body.toString('utf8'))).not.toThrow();
  });
});
