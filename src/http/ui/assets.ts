// The UI's two static files: one stylesheet and one small script (search as you type, filters that apply
// themselves, copy buttons). They are TypeScript string constants rather than files beside the sources so that
// `npm run build` (tsc) carries them into dist/ and the image without a copy step. Each is served under a name
// that holds its content hash, with a year of caching: a new release names new files, a page never mixes an old
// stylesheet with new markup. No inline script or style exists anywhere (the CSP says `script-src 'self';
// style-src 'self'`), so every behaviour is attached here to elements by their data- attributes.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const STYLESHEET = `
:root{--fg:#1d2330;--muted:#5d6577;--line:#dde1ea;--bg:#f6f7fa;--card:#fff;--accent:#2453c7;--add:#e3f6e7;--del:#fbe5e5;--code:#f3f4f8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:1rem;padding:.6rem 1.5rem;background:#16203a;color:#fff}
header.top a{color:#fff;font-weight:600}header.top .user{margin-left:auto;font-size:.9rem;opacity:.85}
header.top .user a{font-weight:400;margin-left:.5rem}
main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.6rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem;margin:.8rem 0;overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
.logo{width:32px;height:32px;object-fit:contain;display:block}
.logo.none{background:var(--line);border-radius:4px}
.muted{color:var(--muted)}.small{font-size:.85rem}
.tag{display:inline-block;padding:0 .45rem;margin:.1rem .2rem .1rem 0;border-radius:9px;background:#e8edf9;font-size:.8rem;white-space:nowrap}
.tag.auto{background:none;border:1px dashed #8f9bb8;color:var(--muted)}
.chip{display:inline-block;padding:0 .4rem;margin-right:.2rem;border-radius:3px;background:#eef0f5;font-size:.8rem}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.6rem 0}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
input,select,button{font:inherit;padding:.3rem .45rem;border:1px solid #b9c0cf;border-radius:4px;background:#fff}
input[type=search]{min-width:16rem}select{max-width:14rem}
button{cursor:pointer;background:#eef1f8}
.pager{display:flex;gap:1rem;margin:.8rem 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--code);padding:.8rem;border-radius:4px;overflow-x:auto;margin:.4rem 0}
.readme pre{white-space:pre-wrap}.readme img{max-width:100%}
.cmd{display:flex;gap:.5rem;align-items:center;margin:.3rem 0}.cmd pre{flex:1;margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;word-break:break-all}
table.diff td{padding:0 .5rem;border:0;white-space:pre-wrap;word-break:break-all}
table.diff td.ln{color:var(--muted);text-align:right;user-select:none;width:3.5rem}
tr.added{background:var(--add)}tr.removed{background:var(--del)}tr.folded td{color:var(--muted);background:#eef0f5;font-style:italic}
.change-added{color:#17692b}.change-removed{color:#a31f1f}.change-changed{color:#8a5a00}
.notice{padding:.6rem .8rem;border-left:4px solid #c79a24;background:#fff8e5;margin:.6rem 0}
.hljs-attr,.hljs-attribute{color:#1f4fa8}.hljs-string{color:#1b7a36}.hljs-number,.hljs-literal{color:#a04a00}
.hljs-comment{color:#7a8190;font-style:italic}.hljs-meta,.hljs-keyword,.hljs-type{color:#7d3bb8}.hljs-bullet{color:#a31f1f}
`;

const SCRIPT = `"use strict";
(function () {
  // Search as you type, and filters that apply when changed: the server renders the list, this only asks for it.
  var form = document.querySelector("form[data-live-list]");
  var results = document.getElementById("results");
  if (form && results) {
    var pending = null;
    var timer = 0;
    var refresh = function () {
      var params = new URLSearchParams(new FormData(form));
      Array.from(params.keys()).forEach(function (key) { if (params.get(key) === "") params.delete(key); });
      var search = params.toString();
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(form.getAttribute("data-live-list") + (search ? "?" + search : ""), { signal: pending.signal, headers: { accept: "text/html" } })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
        .then(function (markup) {
          results.innerHTML = markup;
          history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
        })
        .catch(function () { /* a newer request replaced this one, or the page stays as it was */ });
    };
    form.addEventListener("input", function (event) {
      if (!(event.target instanceof HTMLInputElement)) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
    form.addEventListener("change", function (event) {
      if (event.target instanceof HTMLSelectElement) refresh();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  }
  // Copy buttons: the text of the element named by data-copy.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy") || "");
    if (!source) return;
    var text = source.textContent || "";
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
    }
  });
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    if (selection) { selection.removeAllRanges(); selection.addRange(range); }
  }
})();
`;

// A small mark for the tab, so the browser does not ask for /favicon.ico.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#16203a"/><path d="M4 4h8v8H4z" fill="none" stroke="#fff" stroke-width="1.5"/></svg>`;

export interface Asset {
  /** `/ui/assets/<name>.<hash>.<ext>` */
  path: string;
  contentType: string;
  body: Buffer;
  /** The body gzipped once at start, sent to clients that accept it. */
  gzipped: Buffer;
  etag: string;
}

export const ASSET_PREFIX = '/ui/assets/';

function asset(name: string, extension: string, contentType: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { path: `${ASSET_PREFIX}${name}.${hash}.${extension}`, contentType, body, gzipped: gzipSync(body, { level: 9 }), etag: `"${hash}"` };
}

export const ASSETS = {
  stylesheet: asset('app', 'css', 'text/css; charset=utf-8', STYLESHEET),
  script: asset('app', 'js', 'text/javascript; charset=utf-8', SCRIPT),
  icon: asset('icon', 'svg', 'image/svg+xml', ICON),
} as const;

export const ASSETS_BY_PATH: ReadonlyMap<string, Asset> = new Map(Object.values(ASSETS).map((entry) => [entry.path, entry]));
