/**
 * The console's two static assets, served from `/console/assets/` under a CSP that allows scripts and styles from
 * the same origin only. Kept as strings so the TypeScript build ships them with no bundler and no CDN.
 */

export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --line: #d0d7de; --accent: #0b5cad;
  --deny: #a40e26; --deny-bg: #ffebe9; --escalate: #7d4e00; --escalate-bg: #fff8c5; --allow: #116329; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px; }
header { display: flex; align-items: center; gap: 24px; padding: 8px 20px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.brand { font-weight: 700; font-size: 18px; }
nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; }
nav a { color: var(--accent); text-decoration: none; padding: 4px 2px; }
nav a[aria-current="page"] { border-bottom: 2px solid var(--accent); font-weight: 600; }
.signout { margin-left: auto; display: flex; gap: 8px; align-items: center; color: var(--muted); }
main { padding: 12px 20px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 8px 0 12px; } h2 { font-size: 18px; margin: 20px 0 8px; } h3 { font-size: 16px; margin: 8px 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
figure.graph { margin: 0 0 16px; overflow: auto; } figure.graph svg { max-width: 100%; height: auto; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 13px; }
code, pre { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
pre { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 320px; margin: 4px 0; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: #f6f8fa; color: var(--fg); cursor: pointer; }
button.danger { border-color: var(--deny); color: var(--deny); background: #fff; }
input, select { font: inherit; padding: 3px 6px; border: 1px solid #8c959f; border-radius: 4px; }
form.action { display: inline-flex; gap: 6px; align-items: center; margin: 4px 8px 4px 0; }
.filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin-bottom: 8px; }
.filters label, .signin label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
.signin { display: flex; gap: 8px; align-items: end; max-width: 640px; } .signin input { flex: 1; }
.error { color: var(--deny); }
tr.effect-deny, li.effect-deny { background: var(--deny-bg); } tr.effect-deny .effect, li.effect-deny .effect { color: var(--deny); }
tr.effect-escalate, li.effect-escalate { background: var(--escalate-bg); } tr.effect-escalate .effect, li.effect-escalate .effect { color: var(--escalate); }
.effect-allow .effect { color: var(--allow); }
.reasons { color: var(--muted); }
.label { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; font-size: 12px; margin: 1px 2px; }
.status-disabled, .status-quarantined, .status-closed { color: var(--deny); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 4px 0 8px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline li { border-left: 3px solid var(--line); padding: 4px 10px; margin: 0 0 4px; }
/* A task can have thousands of records: the browser lays out only those on screen. */
ol.timeline > li, table.activity tbody tr { content-visibility: auto; contain-intrinsic-size: auto 48px; }
ol.timeline li.kind-decision { border-left-color: var(--accent); }
ol.timeline .meta { color: var(--muted); font-size: 12px; }
ul.signals { margin: 4px 0; padding-left: 18px; } .evidence { font-size: 13px; } .evidence span { color: var(--muted); }
.severity-critical, .severity-high { color: var(--deny); }
.diff ins { color: var(--allow); text-decoration: none; background: #dafbe1; } .diff del { color: var(--deny); text-decoration: none; background: var(--deny-bg); }
.verified { color: var(--allow); font-weight: 600; } .unanchored { color: var(--escalate); font-weight: 600; } .tampered { color: var(--deny); font-weight: 600; }
ul.tree { margin: 4px 0; }
.approval { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; list-style: none; }
ul.approvals { padding: 0; }
`

export const CONSOLE_JS = `
'use strict';
// The sign-in link printed by \`warden demo\` carries the token in the fragment, which never reaches a server.
(function fillToken() {
  var match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  var field = document.getElementById('token');
  if (match && field) {
    field.value = decodeURIComponent(match[1]);
    history.replaceState(null, '', location.pathname);
    field.form.requestSubmit();
  }
})();
// Live activity: the server sends rows already rendered (and escaped); this only puts them at the top.
(function live() {
  var body = document.getElementById('activity');
  if (!body || !window.EventSource) return;
  var status = document.getElementById('live-status');
  var source = new EventSource(body.getAttribute('data-stream'));
  source.addEventListener('rows', function (event) {
    var template = document.createElement('template');
    template.innerHTML = event.data;
    body.insertBefore(template.content, body.firstChild);
    while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
  });
  source.onopen = function () { if (status) status.textContent = 'Live'; };
  source.onerror = function () { if (status) status.textContent = 'Reconnecting'; };
})();
`
