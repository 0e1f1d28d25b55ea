// A pack's README.md as HTML. The README comes from whoever may push, so it is rendered as inert markup:
// markdown-it with `html: false` writes raw HTML (`<script>`, `<img onerror=…>`) as escaped text, and its
// default link check refuses `javascript:`, `vbscript:`, `file:` and `data:` URLs (except data: images of a
// few raster types, which the page's CSP `img-src 'self'` does not load anyway). Links get
// rel="noopener noreferrer nofollow"; images pointing at other origins stay in the markup but the CSP keeps the
// browser from fetching them — the registry's machines have no internet, and a README must not make a
// viewer's browser call out.
import MarkdownIt from 'markdown-it';
import { trusted, type Html } from './html.js';

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

const defaultLinkOpen =
  markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index]?.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, index, options, env, self);
};

/** READMEs larger than this are shown as plain text: rendering is synchronous and must stay short. */
export const MAX_RENDERED_MARKDOWN_BYTES = 256 * 1024;

export function renderMarkdown(source: string): Html {
  return trusted(markdown.render(source));
}
