// The frame of every page: the head (the hashed stylesheet and script, no inline anything), the top bar with
// who is signed in, and the main column.
import { ASSETS } from './assets.js';
import { html, type Html, type HtmlValue } from './html.js';

export interface Viewer {
  /** The user the page was rendered for: a htpasswd user, `token:NAME`, or `anonymous`. */
  name: string;
  /** Whether the UI offers the sign-in link (anonymous reads are on and nobody signed in). */
  anonymous: boolean;
}

export function page(title: string, viewer: Viewer | undefined, body: HtmlValue): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · pack-registry</title>
<link rel="icon" href="${ASSETS.icon.path}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS.stylesheet.path}">
<script src="${ASSETS.script.path}" defer></script>
</head>
<body>
<header class="top"><a href="/">pack-registry</a><span class="muted">packs</span>${viewerLine(viewer)}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

function viewerLine(viewer: Viewer | undefined): Html {
  if (!viewer) return html``;
  if (viewer.anonymous) return html`<span class="user">anonymous (read only)<a href="/sign-in">Sign in</a></span>`;
  return html`<span class="user">signed in as <strong>${viewer.name}</strong> (read only UI)</span>`;
}
