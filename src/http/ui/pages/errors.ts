// The HTML answer for a refusal under the UI (unknown page, unknown pack, sign-in needed): the status the API
// would answer, the message, and a way back.
import { html, type Html } from '../html.js';
import { page, type Viewer } from '../layout.js';

export function errorPage(viewer: Viewer | undefined, status: number, title: string, message: string): Html {
  return page(
    title,
    viewer,
    html`<h1>${title}</h1><p>${message}</p><p class="muted small">HTTP ${status}</p><p><a href="/">Back to the pack list</a></p>`,
  );
}
