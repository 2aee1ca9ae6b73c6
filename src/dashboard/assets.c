/* assets.c — the dashboard's page, script and style, embedded in the
 * binary.  The script builds every element with createElement and fills it
 * with textContent: no incident text is ever parsed as HTML. */
#include "dashboard/assets.h"

#include <string.h>

static const char page[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>ssrfguard incidents</title>\n"
	"<link rel=\"stylesheet\" href=\"/app.css\">\n"
	"<script src=\"/app.js\" defer></script></head>\n<body>\n"
	"<header><h1>ssrfguard incidents</h1><span id=\"status\"></span></header>\n"
	"<main><section id=\"list\"><table><thead><tr><th>ID</th><th>State</th><th>Instance</th>"
	"<th>Source</th><th>Category</th><th>Destination</th><th>Attempts</th><th>Opened (UTC)</th>"
	"</tr></thead><tbody id=\"rows\"></tbody></table></section>\n"
	"<section id=\"detail\" hidden></section></main>\n</body></html>\n";

static const char login[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>ssrfguard dashboard: sign in</title>\n</head><body>\n"
	"<h1>ssrfguard dashboard</h1>\n<form method=\"post\" action=\"/login\">\n"
	"<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label>\n"
	"<button type=\"submit\">Sign in</button>\n</form>\n</body></html>\n";

static const char script[] =
	"'use strict';\n"
	"const $ = (id) => document.getElementById(id);\n"
	"function el(tag, text, cls) {\n"
	"  const e = document.createElement(tag);\n"
	"  if (text !== undefined && text !== null) e.textContent = String(text);\n"
	"  if (cls) e.className = cls;\n"
	"  return e;\n"
	"}\n"
	"function when(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : ''; }\n"
	"async function api(path) {\n"
	"  const r = await fetch(path, {credentials: 'same-origin', cache: 'no-store'});\n"
	"  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);\n"
	"  return r.json();\n"
	"}\n"
	"// control bytes shown as \\xNN: a CR LF in a URL cannot pass for a new line\n"
	"function visible(v) {\n"
	"  return String(v ?? '').replace(/[\\x00-\\x1f\\x7f]/g,\n"
	"    (c) => '\\\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));\n"
	"}\n"
	"function row(cells) { const tr = el('tr'); cells.forEach((c) => tr.appendChild(el('td', visible(c)))); return tr; }\n"
	"function table(head, rows) {\n"
	"  const t = el('table'), th = el('tr'), tb = el('tbody');\n"
	"  head.forEach((h) => th.appendChild(el('th', h)));\n"
	"  t.appendChild(el('thead')).appendChild(th);\n"
	"  rows.forEach((r) => tb.appendChild(row(r)));\n"
	"  t.appendChild(tb);\n"
	"  return t;\n"
	"}\n"
	"function renderList(list) {\n"
	"  const body = $('rows');\n"
	"  body.replaceChildren();\n"
	"  list.forEach((i) => {\n"
	"    const tr = row(['INC-' + i.id, i.state, i.instance, i.source, i.category, i.dest,\n"
	"                    i.attempts, when(i.opened_ms)]);\n"
	"    tr.dataset.id = String(i.id);\n"
	"    tr.className = 'state-' + i.state.replace(/[^a-z]/g, '');\n"
	"    tr.addEventListener('click', () => { location.hash = 'INC-' + i.id; });\n"
	"    body.appendChild(tr);\n"
	"  });\n"
	"  $('status').textContent = list.length + ' incidents, updated ' + when(Date.now());\n"
	"}\n"
	"async function showDetail(id) {\n"
	"  const d = await api('/api/incidents/' + id), i = d.incident, sec = $('detail');\n"
	"  sec.replaceChildren(el('h2', 'INC-' + i.id + ' \\u2014 ' + i.state));\n"
	"  sec.appendChild(table(['Field', 'Value'], [['Instance', i.instance], ['Region', i.region],\n"
	"    ['Source', i.source], ['Category', i.category], ['Rule', i.rule], ['Destination', i.dest],\n"
	"    ['Attempts', i.attempts], ['Opened', when(i.opened_ms)], ['State reason', i.state_reason]]));\n"
	"  sec.appendChild(el('h3', 'Timeline'));\n"
	"  sec.appendChild(table(['When', 'Step', 'From', 'To', 'Actor', 'Reason'],\n"
	"    d.history.map((h) => [when(h.at_ms), h.step || '(incident)', h.from, h.to, h.actor, h.reason])));\n"
	"  sec.appendChild(el('h3', 'Steps'));\n"
	"  sec.appendChild(table(['Step', 'Status', 'Tries', 'Updated'],\n"
	"    d.steps.map((s) => [s.name, s.status, s.attempts, when(s.updated_ms)])));\n"
	"  sec.appendChild(el('h3', 'Attempts'));\n"
	"  sec.appendChild(table(['When', 'Hop', 'URL', 'Request', 'Headers', 'Destination', 'Reason'],\n"
	"    d.attempts.map((a) => [when(a.at_ms), a.hop, a.url, a.request, a.headers, a.dest, a.reason])));\n"
	"  sec.appendChild(el('h3', 'Report'));\n"
	"  sec.appendChild(el('pre', d.report === null ? '(no report)' : JSON.stringify(d.report, null, 2)));\n"
	"  if (session.release && ['contained', 'failed', 'containing'].includes(i.state))\n"
	"    sec.insertBefore(releaseForm(i), sec.children[1]);\n"
	"  sec.hidden = false;\n"
	"}\n"
	"// Release: the operator types the incident's name; the request carries the CSRF token.\n"
	"function releaseForm(i) {\n"
	"  const name = 'INC-' + i.id, box = el('div', null, 'release');\n"
	"  const input = el('input'), button = el('button', 'Release ' + name), out = el('span');\n"
	"  input.id = 'confirm';\n"
	"  input.placeholder = 'type ' + name + ' to release';\n"
	"  button.id = 'release';\n"
	"  button.disabled = true;\n"
	"  input.addEventListener('input', () => { button.disabled = input.value !== name; });\n"
	"  button.addEventListener('click', async () => {\n"
	"    button.disabled = true;\n"
	"    const r = await fetch('/api/incidents/' + i.id + '/release', {method: 'POST',\n"
	"      credentials: 'same-origin', headers: {'Content-Type': 'application/json',\n"
	"      'X-CSRF-Token': session.csrf}, body: JSON.stringify({confirm: input.value})});\n"
	"    const j = await r.json().catch(() => ({}));\n"
	"    out.id = 'release-result';\n"
	"    out.textContent = (r.ok ? 'released: ' : 'not released: ') + (j.message || j.error || r.status);\n"
	"  });\n"
	"  box.append(el('label', 'Release restores what containment took away. '), input, button, out);\n"
	"  return box;\n"
	"}\n"
	"async function showSelected() {\n"
	"  try {\n"
	"    const m = /^#INC-([0-9]{1,18})$/.exec(location.hash);\n"
	"    if (m) await showDetail(m[1]); else $('detail').hidden = true;\n"
	"  } catch (e) { $('status').textContent = String(e.message); }\n"
	"}\n"
	"let session = {release: false, csrf: ''};\n"
	"async function live() {\n"
	"  try { session = await api('/api/session'); } catch (e) { $('status').textContent = String(e.message); }\n"
	"  const es = new EventSource('/api/events');\n"
	"  es.addEventListener('incidents', (ev) => { renderList(JSON.parse(ev.data)); showSelected(); });\n"
	"  es.onerror = () => { $('status').textContent = 'live updates lost; reconnecting\\u2026'; };\n"
	"}\n"
	"window.addEventListener('hashchange', showSelected);\n"
	"document.addEventListener('DOMContentLoaded', live);\n";

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}\n"
	"header{display:flex;gap:1em;align-items:baseline;padding:.5em 1em;background:#233;color:#fff}\n"
	"h1{font-size:1.2em;margin:0}\nmain{padding:1em}\n"
	"table{border-collapse:collapse;margin-bottom:1em;width:100%}\n"
	"td,th{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere}\n"
	"tbody#rows tr{cursor:pointer}\ntbody#rows tr:hover{background:#eef}\n"
	".state-open,.state-containing{background:#fee}\n.state-failed{background:#fdd}\n"
	".state-contained{background:#efe}\n.release{margin:1em 0;padding:.5em;border:2px solid #c33}\n"
	"pre{background:#f6f6f6;padding:.5em;overflow:auto}\n";

const dash_asset dash_assets[] = {
	{"/", "text/html; charset=utf-8", page, sizeof page - 1},
	{"/app.js", "text/javascript; charset=utf-8", script, sizeof script - 1},
	{"/app.css", "text/css; charset=utf-8", style, sizeof style - 1},
	{NULL, NULL, NULL, 0},
};

const dash_asset dash_login_page = {"/login", "text/html; charset=utf-8", login, sizeof login - 1};

const dash_asset *dash_asset_find(const char *path)
{
	for (const dash_asset *a = dash_assets; a->path; a++)
		if (!strcmp(a->path, path))
			return a;
	return NULL;
}
