/**
 * The operator console: one self-contained HTML document (inline CSS and vanilla JS, no external
 * resources) over the /debug/* endpoints. The page holds no data: it asks for the operator token
 * (or takes it from a `#token=` link, which never reaches the server), keeps it in sessionStorage
 * and sends it as `Authorization: Bearer <token>`; a 401 drops the token and returns to the form.
 *
 * Every value from the API reaches the DOM through text nodes (the `h()` helper never parses HTML),
 * so ids with <, >, quotes or & show as typed. Stable `data-testid` attributes are for the e2e test.
 *
 * The script below avoids backticks and "${" so the whole document can live in this raw template.
 */

import { GROWTH_SCRIPT, GROWTH_VIEW } from './growthPage';

const STYLE = String.raw`
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6ec;
  --accent: #2f5bea; --accent-soft: #e8eeff; --good: #12805c; --good-soft: #e3f5ed;
  --bad: #b42318; --bad-soft: #fdecea; --warn: #a15c07; --warn-soft: #fff3dc; --chip: #eef0f4;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: #141a2a; color: #fff; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header h1 small { font-weight: 400; color: #aab3c5; margin-left: 6px; }
header .spacer { flex: 1; }
header .live { font-size: 13px; color: #cfd6e4; }
header .live code { color: #fff; background: #2a3350; padding: 2px 7px; border-radius: 4px; }
header button { background: transparent; color: #cfd6e4; border: 1px solid #3a4563; }
header button:hover { background: #2a3350; color: #fff; }
nav { display: flex; gap: 2px; padding: 0 24px; background: #fff; border-bottom: 1px solid var(--line); }
nav button { border: 0; border-bottom: 2px solid transparent; border-radius: 0; background: none; padding: 11px 14px;
  color: var(--muted); font-weight: 500; }
nav button:hover { color: var(--ink); background: none; }
nav button.active { color: var(--accent); border-bottom-color: var(--accent); }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h2 { font-size: 16px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 0 0 8px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin-bottom: 16px; }
.muted { color: var(--muted); }
.mono, code { font-family: var(--mono); font-size: 12.5px; }
button { font: inherit; cursor: pointer; border: 1px solid var(--accent); background: var(--accent); color: #fff;
  padding: 7px 14px; border-radius: 6px; }
button:hover { background: #2248c8; }
button.secondary { background: #fff; color: var(--ink); border-color: var(--line); }
input { font: inherit; padding: 7px 10px; border: 1px solid #c9ceda; border-radius: 6px; min-width: 260px; background: #fff; color: var(--ink); }
input:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
form.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
label.inline { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .3px; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.sub td { background: #fbfbfd; font-size: 13px; }
tr.sub td:first-child { padding-left: 28px; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--chip);
  color: var(--ink); white-space: nowrap; }
.badge.live, .badge.good { background: var(--good-soft); color: var(--good); }
.badge.bad { background: var(--bad-soft); color: var(--bad); }
.badge.warn, .badge.new-arrival { background: var(--warn-soft); color: var(--warn); }
.badge.src-itemcf, .badge.src-embedding { background: var(--accent-soft); color: var(--accent); }
.badge.src-session { background: #f3e8ff; color: #6b21a8; }
.badge.src-refind { background: #e0f2fe; color: #075985; }
.badge.src-fallback { background: var(--chip); color: #475467; }
.chips { display: flex; flex-wrap: wrap; gap: 5px; }
.chip { display: inline-block; background: var(--chip); border-radius: 5px; padding: 1px 7px; font-family: var(--mono); font-size: 12px;
  border: 0; color: var(--ink); }
button.chip:hover { background: var(--accent-soft); color: var(--accent); }
a.link, button.link { color: var(--accent); background: none; border: 0; padding: 0; font: inherit; cursor: pointer; text-decoration: underline; }
button.link.mono { font-family: var(--mono); font-size: 12.5px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; }
.grid2 > .panel { margin-bottom: 0; }
.stack > * + * { margin-top: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 8px; padding: 10px 12px;
  box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.card.src-fallback { border-left-color: #98a2b3; }
.card.src-refind { border-left-color: #0ea5e9; }
.card.src-session { border-left-color: #9333ea; }
.card .top { display: flex; align-items: baseline; gap: 8px; }
.card .rank { color: var(--muted); font-size: 12px; }
.card .id { font-family: var(--mono); font-weight: 700; font-size: 14px; word-break: break-all; }
.card .meta { display: flex; flex-wrap: wrap; gap: 5px; margin: 6px 0; align-items: center; }
.card .score { font-variant-numeric: tabular-nums; font-size: 13px; }
.card .why { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.card .why .chip { margin: 1px 2px 1px 0; }
.bar-row { display: grid; grid-template-columns: 110px 1fr 110px; gap: 10px; align-items: center; margin: 6px 0; }
.bar-track { background: var(--chip); border-radius: 4px; height: 16px; overflow: hidden; }
.bar { background: var(--accent); height: 100%; border-radius: 4px; min-width: 2px; }
.bar.small { height: 8px; }
.chain { margin: 0; padding-left: 20px; }
.chain li { margin: 6px 0; }
.notice { padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; }
.notice.error { background: var(--bad-soft); color: var(--bad); border: 1px solid #f5c2bd; }
.notice.info { background: var(--accent-soft); color: #1e3a8a; }
.notice.warn { background: #fff7e6; color: #8a5300; }
table.heatmap td { min-width: 56px; }
#token-view { max-width: 460px; margin: 64px auto; }
#token-view p { color: var(--muted); margin-top: 0; }
.hidden { display: none !important; }
.loading { color: var(--muted); font-style: italic; }
.served-0 { color: var(--muted); }
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var TOKEN_KEY = 'recs.console.token';
  var SEGMENT_ORDER = ['new', 'churned', 'at_risk', 'high_value', 'paying', 'active'];

  // ---- DOM helpers: strings always become text nodes, never HTML ----
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'testid') el.setAttribute('data-testid', v);
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'style' && typeof v === 'object') { for (var s in v) el.style.setProperty(s, v[s]); }
        else el.setAttribute(k, String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { for (var i = 0; i < child.length; i++) append(el, child[i]); return; }
    if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  function $(id) { return document.getElementById(id); }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function show(el, on) { el.classList.toggle('hidden', !on); }

  // ---- formatting ----
  function diffText(d) {
    return (d.diff >= 0 ? '+' : '') + d.diff.toFixed(4) + ' (95% CI ' + d.ci95[0].toFixed(4) + ' to ' + d.ci95[1].toFixed(4) + ', one-sided lower bound ' + d.lower.toFixed(4) + ')';
  }
  function num(x, digits) {
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) return '–';
    return x.toFixed(digits === undefined ? 3 : digits);
  }
  function pct(x, digits) {
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) return '–';
    return (x * 100).toFixed(digits === undefined ? 2 : digits) + '%';
  }
  function signedPct(x) { return (x > 0 ? '+' : '') + pct(x); }
  function intf(x) { return typeof x === 'number' ? x.toLocaleString('en-US') : '–'; }
  function when(iso) {
    if (!iso) return '–';
    var s = String(iso);
    return s.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
  }
  function pval(p) {
    if (p === null || p === undefined) return 'n/a';
    return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
  }
  function sourceClass(src) {
    var s = String(src || '');
    if (s === 'itemcf' || s === 'embedding') return 'src-itemcf';
    if (s === 'session' || s === 'context') return 'src-session';
    if (s === 'refind') return 'src-refind';
    return 'src-fallback';
  }
  function itemLink(id, extra) {
    return h('button', { class: 'link mono', type: 'button', title: 'look up this item',
      onclick: function () { lookupItem(id); } }, id, extra || null);
  }
  function itemChip(id, label) {
    return h('button', { class: 'chip', type: 'button', title: 'look up this item', testid: 'item-chip',
      onclick: function () { lookupItem(id); } }, label === undefined ? id : label);
  }
  function kv(pairs) {
    var dl = h('dl', { class: 'kv' });
    pairs.forEach(function (p) { if (p) { dl.appendChild(h('dt', null, p[0])); dl.appendChild(h('dd', p[2] ? { testid: p[2] } : null, p[1])); } });
    return dl;
  }

  // ---- token and API ----
  function getToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function setToken(t) { try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* private mode */ } }

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function api(path) {
    var token = getToken();
    if (!token) { showTokenForm(null); return Promise.reject(new ApiError(401, 'unauthorized', 'no token')); }
    return fetch(path, { headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' }, cache: 'no-store' })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (res.status === 401) {
            setToken(null);
            showTokenForm('Invalid token: the server refused it (401). Enter the operator token (DEBUG_TOKEN) again.');
            throw new ApiError(401, 'unauthorized', 'invalid token');
          }
          if (!res.ok) {
            var err = body && body.error ? body.error : {};
            throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || ('HTTP ' + res.status));
          }
          return body;
        });
      }, function (e) { throw new ApiError(0, 'network', 'the service did not answer: ' + (e && e.message ? e.message : e)); });
  }

  function showError(message) {
    var el = $('error');
    clear(el);
    if (message) el.appendChild(document.createTextNode(message));
    show(el, Boolean(message));
  }
  function handleError(e, what) {
    if (e && e.status === 401) return; // the token form already says why
    var msg = e && e.message ? e.message : String(e);
    showError((what ? what + ': ' : '') + msg + (e && e.status ? ' (HTTP ' + e.status + ')' : ''));
  }

  // ---- views ----
  var TABS = ['models', 'segments', 'growth', 'user', 'item', 'ab'];
  var current = 'models';
  var loaded = {};

  function showTokenForm(message) {
    show($('app-view'), false);
    show($('token-view'), true);
    show($('signout'), false);
    $('live-version').textContent = '–';
    loaded = {};
    showError(message);
    var input = $('token-input');
    input.value = '';
    input.focus();
  }

  function showApp() {
    show($('token-view'), false);
    show($('app-view'), true);
    show($('signout'), true);
  }

  function selectTab(name, opts) {
    if (TABS.indexOf(name) < 0) name = 'models';
    current = name;
    TABS.forEach(function (t) {
      show($('view-' + t), t === name);
      var b = $('tab-' + t);
      b.classList.toggle('active', t === name);
      b.setAttribute('aria-selected', t === name ? 'true' : 'false');
    });
    if (!(opts && opts.keepError)) showError(null);
    if (name === 'models' && !loaded.models) loadModels();
    if (name === 'segments' && !loaded.segments) loadSegments();
    if (name === 'ab' && !loaded.ab) loadExperiments();
    if (name === 'growth' && !loaded.growth) loadGrowth();
    if (name === 'user') $('user-input').focus();
    if (name === 'item') $('item-input').focus();
    if (!(opts && opts.noHash)) setHash(name);
  }

  function setHash(name, id) {
    var target = '#' + name + (id ? '/' + encodeURIComponent(id) : '');
    if (location.hash !== target) history.replaceState(null, '', target);
  }

  function refreshHeader() {
    return api('/debug/models').then(function (m) {
      $('live-version').textContent = m.live || 'none';
      return m;
    });
  }

  // Models
  function metric(m, model, key) {
    var hold = m && m.holdout;
    var r = hold && hold[model];
    return r ? r[key] : undefined;
  }
  function loadModels() {
    var box = clear($('models-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading model versions…'));
    return refreshHeader().then(function (m) {
      loaded.models = true;
      clear(box);
      box.appendChild(kv([
        ['Live version', m.live ? h('code', null, m.live) : 'none', 'models-live'],
        ['Loaded by this process', m.loaded ? h('code', null, m.loaded) : 'none'],
        ['Previous (rollback target)', m.previous ? h('code', null, m.previous) : 'none'],
      ]));
      if (!m.versions.length) { box.appendChild(h('p', { class: 'muted' }, 'No model versions yet: run recs train --publish.')); return; }
      var head = h('tr', null,
        h('th', null, 'Version'), h('th', null, 'Status'), h('th', null, 'Created'),
        h('th', { class: 'num', title: 'published blend on the holdout' }, 'Published HR@10'), h('th', { class: 'num' }, 'NDCG@10'),
        h('th', { class: 'num', title: 'global popularity on the holdout' }, 'Popular HR@10'), h('th', { class: 'num' }, 'NDCG@10'),
        h('th', { class: 'num' }, 'Users / items / events'), h('th', null, 'Gate'));
      var body = h('tbody');
      m.versions.forEach(function (v) {
        var met = v.metrics || {};
        var gate = met.gate;
        var gateCell;
        if (!gate) gateCell = h('span', { class: 'muted' }, v.status === 'live' || v.status === 'previous' ? '–' : 'not run');
        else {
          gateCell = h('div', null,
            h('span', { class: 'badge ' + (gate.passed ? 'good' : 'bad') }, gate.passed ? (gate.forced ? 'forced' : 'passed') : 'refused'),
            gate.rule ? h('div', { class: 'muted', testid: 'gate-rule', style: { 'font-size': '12px', 'margin-top': '3px' } },
              (gate.rule === 'significance' ? 'significance rule' : 'tolerance rule (holdout below the minimum)') + ' on ' + intf(gate.cases) + ' cases') : null,
            gate.paired ? h('div', { class: 'muted', testid: 'gate-paired', style: { 'font-size': '12px', 'margin-top': '3px' } },
              'paired vs ' + gate.paired.liveVersion + ' on ' + gate.paired.cases + ' cases: NDCG@10 ' +
              num(gate.paired.candidate && gate.paired.candidate.ndcg10) + ' vs ' + num(gate.paired.live && gate.paired.live.ndcg10) +
              (gate.paired.difference ? ', difference ' + diffText(gate.paired.difference) : '')) : null,
            gate.vsPopular ? h('div', { class: 'muted', testid: 'gate-popular', style: { 'font-size': '12px', 'margin-top': '3px' } },
              'vs popularity: NDCG@10 difference ' + diffText(gate.vsPopular)) : null,
            (gate.reasons || []).length ? h('ul', { style: { margin: '4px 0 0', 'padding-left': '18px', 'font-size': '12px' } },
              gate.reasons.map(function (r) { return h('li', null, r); })) : null);
        }
        var totalSeconds = 0;
        var t = v.timings || {};
        Object.keys(t).forEach(function (k) { if (k.indexOf('.') < 0 && typeof t[k] === 'number') totalSeconds += t[k]; });
        body.appendChild(h('tr', { testid: 'model-row', 'data-version': v.version },
          h('td', null, h('code', null, v.version), v.live ? [' ', h('span', { class: 'badge live', testid: 'live-badge' }, 'LIVE')] : null,
            totalSeconds ? h('div', { class: 'muted', style: { 'font-size': '12px' } }, 'trained in ' + totalSeconds.toFixed(1) + ' s') : null),
          h('td', null, h('span', { class: 'badge ' + (v.status === 'live' ? 'live' : v.status === 'failed' || v.status === 'rejected' ? 'bad' : '') }, v.status)),
          h('td', null, when(v.createdAt), v.publishedAt ? h('div', { class: 'muted', style: { 'font-size': '12px' } }, 'published ' + when(v.publishedAt)) : null),
          h('td', { class: 'num' }, num(metric(met, 'published', 'hr10'))),
          h('td', { class: 'num' }, num(metric(met, 'published', 'ndcg10'))),
          h('td', { class: 'num' }, num(metric(met, 'popular', 'hr10'))),
          h('td', { class: 'num' }, num(metric(met, 'popular', 'ndcg10'))),
          h('td', { class: 'num' }, intf(met.users) + ' / ' + intf(met.items) + ' / ' + intf(met.events)),
          h('td', null, gateCell)));
      });
      box.appendChild(h('div', { style: { 'overflow-x': 'auto', 'margin-top': '14px' } },
        h('table', { testid: 'models-table' }, h('thead', null, head), body)));
    }).catch(function (e) { clear(box); handleError(e, 'Models'); });
  }

  // Segments
  function loadSegments() {
    var box = clear($('segments-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading segments…'));
    return api('/debug/segments').then(function (d) {
      loaded.segments = true;
      clear(box);
      var segs = d.segments.slice().sort(function (a, b) { return SEGMENT_ORDER.indexOf(a.segment) - SEGMENT_ORDER.indexOf(b.segment); });
      var total = segs.reduce(function (a, s) { return a + (s.users || 0); }, 0);
      var max = segs.reduce(function (a, s) { return Math.max(a, s.users || 0); }, 0) || 1;
      var th = d.thresholds || {};
      var sizes = h('div', { class: 'panel' },
        h('h2', null, 'Segment sizes'),
        h('p', { class: 'muted', style: { 'margin-top': 0 } }, intf(total) + ' users at training time · model ' + d.modelVersion + ' · "now" = ' + when(d.now)),
        segs.map(function (s) {
          return h('div', { class: 'bar-row', testid: 'segment-size' },
            h('span', { testid: 'segment-name', class: 'mono' }, s.segment),
            h('div', { class: 'bar-track' }, h('div', { class: 'bar', style: { width: (100 * (s.users || 0) / max).toFixed(1) + '%' } })),
            h('span', { class: 'num' }, intf(s.users), h('span', { class: 'muted' }, ' (' + (total ? pct(s.users / total, 1) : '–') + ')')));
        }),
        th && th.newMaxAgeDays !== undefined ? h('p', { class: 'muted', style: { 'font-size': '12px', 'margin-bottom': 0 } },
          'Rules (first match wins): new < ' + th.newMaxAgeDays + ' days or < ' + th.newMinDistinctItems + ' items · churned > ' +
          th.churnedAfterDays + ' days idle · at_risk > ' + th.atRiskAfterDays + ' days idle · high_value = top ' +
          Math.round(th.highValueTopFraction * 100) + '% RFM of purchasers · paying = any purchase · active = the rest') : null);
      box.appendChild(sizes);
      var chains = h('div', { class: 'grid2' });
      segs.forEach(function (s) {
        chains.appendChild(h('div', { class: 'panel', testid: 'segment-chain' },
          h('h3', null, 'Fallback chain · ', h('span', { class: 'mono' }, s.segment)),
          h('ol', { class: 'chain' }, s.chain.map(function (c) {
            return h('li', null,
              h('strong', null, c.step), c.max !== null && c.max !== undefined ? h('span', { class: 'muted' }, ' (max ' + c.max + ')') : null,
              h('div', { class: 'chips', style: { 'margin-top': '3px' } },
                Array.isArray(c.head)
                  ? (c.head.length ? c.head.map(function (id) { return itemChip(id); }) : h('span', { class: 'muted' }, 'empty'))
                  : h('span', { class: 'muted' }, String(c.head))));
          }))));
      });
      box.appendChild(chains);
    }).catch(function (e) { clear(box); handleError(e, 'Segments'); });
  }

  // User lookup
  function lookupUser(userId) {
    userId = String(userId || '').trim();
    if (!userId) return;
    if (current !== 'user') selectTab('user', { noHash: true });
    $('user-input').value = userId;
    setHash('user', userId);
    showError(null);
    var box = clear($('user-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading ' + userId + '…'));
    var limit = parseInt($('user-limit').value, 10);
    if (!(limit >= 1 && limit <= 100)) limit = 20;
    return api('/debug/users/' + encodeURIComponent(userId) + '?limit=' + limit).then(function (u) {
      clear(box);
      renderUser(box, u);
    }).catch(function (e) { clear(box); handleError(e, 'User ' + userId); });
  }

  function renderUser(box, u) {
    var f = u.features;
    var summary = h('div', { class: 'panel', testid: 'user-summary' },
      h('h2', null, 'User ', h('span', { class: 'mono', testid: 'user-id' }, u.userId)),
      h('div', { style: { display: 'flex', gap: '8px', 'align-items': 'center', 'flex-wrap': 'wrap', 'margin-bottom': '8px' } },
        h('span', { class: 'badge', testid: 'segment-name', style: { 'font-size': '13px' } }, u.segment),
        h('span', { testid: 'segment-reason' }, u.segmentReason),
        u.known ? null : h('span', { class: 'badge warn' }, 'unknown to the live model')),
      kv([
        ['Variant', h('code', { testid: 'user-variant' }, u.variant)],
        ['Model version', h('code', null, u.modelVersion)],
        ['Favourite categories', u.favouriteCategories && u.favouriteCategories.length
          ? h('span', { class: 'chips', testid: 'favourite-categories' }, u.favouriteCategories.map(function (c) { return h('span', { class: 'chip' }, c); }))
          : h('span', { class: 'muted' }, 'none')],
      ]));
    var feats = h('div', { class: 'panel' }, h('h3', null, 'Features (training time)'),
      f ? kv([
        ['First seen', when(f.firstSeen)],
        ['Last seen', when(f.lastSeen)],
        ['Recency', f.recencyDays === null ? '–' : num(f.recencyDays, 1) + ' days'],
        ['Purchases (frequency)', intf(f.frequency)],
        ['Monetary', num(f.monetary, 2)],
        ['Distinct items', intf(f.distinctItems)],
        ['RFM score', f.rfm === null || f.rfm === undefined ? '–' : num(f.rfm, 3)],
      ]) : h('p', { class: 'muted' }, 'No features: the live model has not seen this user.'));

    var chainUsed = {};
    (u.fallbacks || []).forEach(function (fb) { chainUsed[fb.step] = fb; });
    var fromFallbacks = (u.fallbacks || []).reduce(function (a, fb) { return a + (fb.served || 0); }, 0);
    var personal = Math.max(0, (u.recommendations || []).length - fromFallbacks);
    var filt = u.filtered || {};
    var serving = h('div', { class: 'panel', testid: 'fallbacks' }, h('h3', null, 'How the list was filled'),
      h('p', { style: { 'margin-top': 0 } }, intf(personal) + ' personal item(s), then the ' + u.segment + ' fallback chain:'),
      h('ol', { class: 'chain' }, (u.fallbackChain || []).map(function (c) {
        var used = chainUsed[c.step];
        return h('li', { class: used && used.served ? '' : 'served-0' }, h('strong', null, c.step),
          c.max !== null && c.max !== undefined ? ' (max ' + c.max + ')' : '',
          ' — ', used ? 'served ' + used.served : 'not needed');
      }), (u.fallbacks || []).filter(function (fb) { return !(u.fallbackChain || []).some(function (c) { return c.step === fb.step; }); })
        .map(function (fb) { return h('li', null, h('strong', null, fb.step), ' — served ' + fb.served); })),
      h('h3', { style: { 'margin-top': '12px' } }, 'Filtered out'),
      h('div', { class: 'chips', testid: 'filtered' }, ['bought', 'unavailable', 'excluded', 'category', 'categoryCap'].map(function (k) {
        return h('span', { class: 'chip' }, (k === 'categoryCap' ? 'category cap' : k) + ': ' + intf(filt[k] || 0));
      })));

    var recs = u.recommendations || [];
    var cards = h('div', { class: 'cards', testid: 'rec-cards' }, recs.map(function (r, i) {
      var parts = r.parts || {};
      var partText = Object.keys(parts).map(function (k) {
        return k === 'fallbackRank' ? 'fallback rank #' + (Number(parts[k]) + 1) : k + ' ' + num(parts[k], 3);
      }).join(' · ');
      return h('div', { class: 'card ' + sourceClass(r.source), testid: 'rec-card', 'data-item-id': r.itemId },
        h('div', { class: 'top' }, h('span', { class: 'rank' }, '#' + (i + 1)),
          h('button', { class: 'link id', type: 'button', testid: 'rec-item-id', title: 'look up this item', onclick: function () { lookupItem(r.itemId); } }, r.itemId)),
        h('div', { class: 'meta' },
          h('span', { class: 'badge ' + sourceClass(r.source), testid: 'rec-source' }, r.source),
          r.newArrival ? h('span', { class: 'badge new-arrival', testid: 'new-arrival' }, 'new arrival') : null,
          h('span', { class: 'muted' }, r.category === null || r.category === undefined ? 'no category' : r.category)),
        h('div', { class: 'score' }, 'score ', h('strong', null, num(r.score, 4)),
          h('div', { class: 'bar-track', style: { height: '6px', 'margin-top': '3px' } },
            h('div', { class: 'bar', style: { width: Math.max(0, Math.min(100, (recs[0] && recs[0].score ? r.score / recs[0].score : 0) * 100)).toFixed(1) + '%' } }))),
        partText ? h('div', { class: 'why' }, partText) : null,
        r.because && r.because.length ? h('div', { class: 'why', testid: 'rec-because' }, 'because of ', r.because.map(function (id) { return itemChip(id); })) : null,
        r.neighbourOf && r.neighbourOf.length ? h('div', { class: 'why', testid: 'rec-neighbour-of' }, 'neighbour of ',
          r.neighbourOf.map(function (n) { return itemChip(n.itemId, n.itemId + ' ' + num(n.similarity, 2)); })) : null);
    }));
    var recPanel = h('div', { class: 'panel' },
      h('h2', null, 'Recommendations ', h('span', { class: 'muted', testid: 'rec-count' }, '(' + recs.length + ')')),
      recs.length ? cards : h('p', { class: 'muted' }, 'No recommendations.'));

    var evRows = function (list) {
      return h('table', null, h('thead', null, h('tr', null, h('th', null, 'Item'), h('th', null, 'Type'), h('th', null, 'When'))),
        h('tbody', null, list.map(function (e) {
          return h('tr', null, h('td', null, itemLink(e.itemId)), h('td', null, h('span', { class: 'badge' }, e.type)), h('td', { class: 'muted' }, when(e.timestamp)));
        })));
    };
    var events = h('div', { class: 'panel', testid: 'recent-events' }, h('h3', null, 'Recent events (' + (u.recentEvents || []).length + ')'),
      (u.recentEvents || []).length ? h('div', { style: { 'max-height': '340px', 'overflow-y': 'auto' } }, evRows(u.recentEvents)) : h('p', { class: 'muted' }, 'None stored.'),
      (u.session || []).length ? [h('h3', { style: { 'margin-top': '12px' } }, 'Live session signal'), evRows(u.session)] : null);

    box.appendChild(summary);
    box.appendChild(recPanel);
    box.appendChild(h('div', { class: 'grid2' }, feats, serving, events));
  }

  // Item lookup
  function lookupItem(itemId) {
    itemId = String(itemId || '').trim();
    if (!itemId) return;
    if (current !== 'item') selectTab('item', { noHash: true });
    $('item-input').value = itemId;
    setHash('item', itemId);
    showError(null);
    var box = clear($('item-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading ' + itemId + '…'));
    return api('/debug/items/' + encodeURIComponent(itemId)).then(function (d) {
      clear(box);
      renderItem(box, d);
    }).catch(function (e) {
      clear(box);
      if (e && e.status === 404) showError('Item not found: ' + itemId);
      else handleError(e, 'Item ' + itemId);
    });
  }

  function yesNo(v) {
    if (v === null || v === undefined) return h('span', { class: 'muted' }, 'n/a');
    return h('span', { class: 'badge ' + (v ? 'good' : 'bad') }, v ? 'available' : 'unavailable');
  }

  function renderItem(box, d) {
    var av = d.availability || {};
    var ranks = d.popularityRanks || {};
    var neighbours = (d.neighbours && d.neighbours.itemcf) || [];
    var top = neighbours.length ? neighbours[0].score || 1 : 1;
    box.appendChild(h('div', { class: 'panel', testid: 'item-summary' },
      h('h2', null, 'Item ', h('span', { class: 'mono', testid: 'item-id' }, d.itemId),
        d.newArrival ? [' ', h('span', { class: 'badge new-arrival' }, 'new arrival')] : null,
        d.inModel ? null : [' ', h('span', { class: 'badge warn' }, 'not in the live model')]),
      kv([
        ['Category', d.category === null || d.category === undefined ? h('span', { class: 'muted' }, 'none') : d.category, 'item-category'],
        ['Available now', yesNo(av.now), 'item-availability'],
        ['At training time', yesNo(av.atTraining)],
        ['Catalogue flag', yesNo(av.catalogue)],
        d.catalogue ? ['Price', d.catalogue.price === null || d.catalogue.price === undefined ? '–' : num(d.catalogue.price, 2)] : null,
        d.catalogue ? ['Created', when(d.catalogue.createdAt)] : null,
        ['Model version', h('code', null, d.modelVersion)],
      ])));
    var rankTable = h('table', { testid: 'popularity-ranks' },
      h('thead', null, h('tr', null, h('th', null, 'List'), h('th', { class: 'num' }, 'Rank'))),
      h('tbody', null, Object.keys(ranks).map(function (k) {
        return h('tr', null, h('td', null, k), h('td', { class: 'num' }, ranks[k] === null ? h('span', { class: 'muted' }, 'not listed') : '#' + ranks[k]));
      })));
    var nb = h('div', { class: 'panel', testid: 'neighbours' }, h('h3', null, 'Item-CF neighbours (' + neighbours.length + ')'),
      neighbours.length ? h('table', null,
        h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Item'), h('th', { class: 'num' }, 'Similarity'), h('th', { style: { width: '40%' } }, ''))),
        h('tbody', null, neighbours.map(function (n, i) {
          return h('tr', null, h('td', { class: 'muted' }, String(i + 1)),
            h('td', null, h('button', { class: 'link mono', type: 'button', testid: 'neighbour', onclick: function () { lookupItem(n.itemId); } }, n.itemId)),
            h('td', { class: 'num' }, num(n.score, 4)),
            h('td', null, h('div', { class: 'bar-track', style: { height: '8px' } }, h('div', { class: 'bar', style: { width: (100 * n.score / top).toFixed(1) + '%' } }))));
        }))) : h('p', { class: 'muted' }, 'No neighbours.'));
    box.appendChild(h('div', { class: 'grid2' }, h('div', { class: 'panel' }, h('h3', null, 'Popularity ranks'), rankTable), nb));
  }

  // A/B report
  function diffCell(d) {
    if (!d) return h('td', { class: 'muted' }, 'control');
    var sig = d.pValue !== null && d.pValue !== undefined && d.pValue < 0.05;
    return h('td', { class: 'num' },
      h('strong', { class: sig ? (d.diff > 0 ? 'badge good' : 'badge bad') : '' }, signedPct(d.diff)),
      h('div', { class: 'muted', style: { 'font-size': '12px' } }, '95% CI [' + signedPct(d.ci95[0]) + ', ' + signedPct(d.ci95[1]) + ']'),
      h('div', { class: 'muted', style: { 'font-size': '12px' } }, 'p = ' + pval(d.pValue)));
  }
  function money(x) { return typeof x === 'number' ? x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '–'; }
  function moneyDiffCell(d) {
    if (!d) return h('td', { class: 'muted' }, 'control');
    var sig = d.ci95[0] > 0 || d.ci95[1] < 0;
    return h('td', { class: 'num' },
      h('strong', { class: sig ? (d.diff > 0 ? 'badge good' : 'badge bad') : '' }, (d.diff > 0 ? '+' : '') + money(d.diff)),
      h('div', { class: 'muted', style: { 'font-size': '12px' } }, '95% CI [' + money(d.ci95[0]) + ', ' + money(d.ci95[1]) + ']'));
  }
  function targeting(cfg) {
    if (!cfg) return 'no longer configured';
    var parts = [];
    parts.push(cfg.segments ? 'segments ' + cfg.segments.join(', ') : 'every segment');
    if (cfg.tags) Object.keys(cfg.tags).forEach(function (k) { parts.push(k + ' = ' + cfg.tags[k]); });
    parts.push(cfg.placement ? 'placement ' + cfg.placement : 'every placement');
    if (cfg.start || cfg.stop) parts.push((cfg.start || '…') + ' → ' + (cfg.stop || '…'));
    return parts.join(' · ');
  }
  function variantRows(rows, v, control) {
    rows.appendChild(h('tr', { testid: 'ab-variant', 'data-variant': v.variant },
      h('td', null, h('strong', { class: 'mono' }, v.variant), v.variant === control ? [' ', h('span', { class: 'badge' }, 'control')] : null),
      h('td', { class: 'num' }, intf(v.impressions)), h('td', { class: 'num' }, intf(v.clicks)), h('td', { class: 'num' }, intf(v.purchases)),
      h('td', { class: 'num' }, pct(v.ctr)), h('td', { class: 'num' }, pct(v.conversion)), h('td', { class: 'num' }, money(v.revenuePerThousand)),
      diffCell(v.vsControl && v.vsControl.ctr), diffCell(v.vsControl && v.vsControl.conversion), moneyDiffCell(v.vsControl && v.vsControl.revenuePerThousand)));
    (v.segments || []).forEach(function (s) {
      rows.appendChild(h('tr', { class: 'sub', testid: 'ab-segment' },
        h('td', null, '↳ ' + s.segment),
        h('td', { class: 'num' }, intf(s.impressions)), h('td', { class: 'num' }, intf(s.clicks)), h('td', { class: 'num' }, intf(s.purchases)),
        h('td', { class: 'num' }, pct(s.ctr)), h('td', { class: 'num' }, pct(s.conversion)), h('td', { class: 'num' }, money(s.revenuePerThousand)), h('td'), h('td'), h('td')));
    });
  }
  function variantTable(variants, control) {
    var rows = h('tbody');
    variants.forEach(function (v) { variantRows(rows, v, control); });
    return h('div', { style: { 'overflow-x': 'auto' } }, h('table', { testid: 'ab-table' },
      h('thead', null, h('tr', null, h('th', null, 'Variant / segment'), h('th', { class: 'num' }, 'Impressions'), h('th', { class: 'num' }, 'Clicks'),
        h('th', { class: 'num' }, 'Purchases'), h('th', { class: 'num' }, 'CTR'), h('th', { class: 'num' }, 'Conversion'), h('th', { class: 'num' }, 'Revenue / 1,000'),
        h('th', { class: 'num' }, 'Δ CTR vs control'), h('th', { class: 'num' }, 'Δ conversion vs control'), h('th', { class: 'num' }, 'Δ revenue / 1,000'))),
      rows));
  }
  function loadExperiments() {
    var box = clear($('ab-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading the A/B report…'));
    return api('/debug/experiments').then(function (d) {
      loaded.ab = true;
      clear(box);
      box.appendChild(h('div', { class: 'panel' },
        h('h2', null, 'Experiments'),
        h('p', { class: 'muted', style: { 'margin-bottom': 0, 'font-size': '12px' } },
          'CTR = clicks / impressions; conversion = attributed purchases / impressions; revenue per 1,000 impressions from the items\' prices. Differences are variant minus control (the first variant) with a 95% normal-approximation CI; CTR and conversion also carry a two-sided two-proportion z-test p-value.')));
      if (!d.experiments.length) box.appendChild(h('p', { class: 'notice info', testid: 'experiment-name' }, 'No experiment configured: every answer counts as default.'));
      d.experiments.forEach(function (e) {
        var anyData = e.variants.some(function (v) { return v.impressions || v.clicks || v.purchases; });
        box.appendChild(h('div', { class: 'panel', testid: 'ab-experiment', 'data-experiment': e.name },
          kv([['Experiment', h('code', { testid: 'experiment-name' }, e.name)], ['Aimed at', h('span', { testid: 'experiment-targeting' }, targeting(e.config))], ['Control', h('code', null, e.control)]]),
          anyData ? null : h('p', { class: 'notice info' }, 'No feedback recorded yet: the storefront reports impressions, clicks and purchases through POST /v1/feedback.'),
          variantTable(e.variants, e.control)));
      });
      var out = d.outside;
      if (out.impressions || out.clicks || out.purchases) {
        box.appendChild(h('div', { class: 'panel', testid: 'ab-outside' }, h('h2', null, 'Outside experiments'), variantTable([Object.assign({ variant: 'default' }, out)], 'default')));
      }
    }).catch(function (e) { clear(box); handleError(e, 'A/B report'); });
  }

/*growth-script*/
  // ---- routing from the address (#user/<id>, #item/<id>, #models ...) ----
  function route() {
    var m = /^#([a-z]+)(?:\/(.*))?$/.exec(location.hash || '');
    var tab = m ? m[1] : 'models';
    var id = m && m[2] ? (function () { try { return decodeURIComponent(m[2]); } catch (e) { return m[2]; } })() : '';
    if (tab === 'user' && id) { selectTab('user', { noHash: true }); lookupUser(id); }
    else if (tab === 'item' && id) { selectTab('item', { noHash: true }); lookupItem(id); }
    else selectTab(tab);
  }

  function start() {
    showApp();
    refreshHeader().then(function () { route(); }).catch(function (e) { handleError(e, 'Console'); });
  }

  // ---- wiring ----
  $('token-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('token-input').value.trim();
    if (!t) { showError('Enter the operator token.'); return; }
    setToken(t);
    showError(null);
    start();
  });
  $('signout').addEventListener('click', function () { setToken(null); showTokenForm(null); });
  TABS.forEach(function (t) { $('tab-' + t).addEventListener('click', function () { selectTab(t); }); });
  $('user-form').addEventListener('submit', function (ev) { ev.preventDefault(); lookupUser($('user-input').value); });
  $('item-form').addEventListener('submit', function (ev) { ev.preventDefault(); lookupItem($('item-input').value); });
  $('models-refresh').addEventListener('click', function () { loaded.models = false; loadModels(); });
  $('segments-refresh').addEventListener('click', function () { loaded.segments = false; loadSegments(); });
  $('ab-refresh').addEventListener('click', function () { loaded.ab = false; loadExperiments(); });
  $('growth-refresh').addEventListener('click', function () { loaded.growth = false; loadGrowth(); });

  // A link with #token=... (what 'recs demo' prints) signs in at once; the token then leaves the address bar.
  var fromLink = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (fromLink) {
    setToken(decodeURIComponent(fromLink[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  if (getToken()) start(); else showTokenForm(null);
})();
`;

const BODY = String.raw`
<header>
  <h1>Storefront recs <small>operator console</small></h1>
  <span class="spacer"></span>
  <span class="live">live model <code id="live-version" data-testid="live-version">–</code></span>
  <button type="button" id="signout" class="hidden" data-testid="signout">Sign out</button>
</header>
<div id="app-view" class="hidden">
  <nav role="tablist">
    <button type="button" role="tab" id="tab-models" data-testid="tab-models">Models</button>
    <button type="button" role="tab" id="tab-segments" data-testid="tab-segments">Segments</button>
    <button type="button" role="tab" id="tab-user" data-testid="tab-user">User lookup</button>
    <button type="button" role="tab" id="tab-item" data-testid="tab-item">Item lookup</button>
    <button type="button" role="tab" id="tab-growth" data-testid="tab-growth">Growth</button>
    <button type="button" role="tab" id="tab-ab" data-testid="tab-ab">A/B report</button>
  </nav>
</div>
<main>
  <div id="error" class="notice error hidden" role="alert" data-testid="error"></div>
  <section id="token-view" class="hidden"><!--token-form--></section>
  <section id="view-models" class="hidden" data-testid="view-models">
    <div class="panel">
      <div style="display:flex;align-items:center;gap:12px;margin-bottom:10px"><h2 style="margin:0;flex:1">Model versions</h2>
        <button type="button" class="secondary" id="models-refresh">Refresh</button></div>
      <div id="models-body"></div>
    </div>
  </section>
  <section id="view-segments" class="hidden" data-testid="view-segments">
    <div style="display:flex;justify-content:flex-end;margin-bottom:8px"><button type="button" class="secondary" id="segments-refresh">Refresh</button></div>
    <div id="segments-body"></div>
  </section>
  <section id="view-user" class="hidden" data-testid="view-user">
    <div class="panel">
      <form id="user-form" class="row" autocomplete="off">
        <input id="user-input" data-testid="user-input" placeholder="user id" aria-label="user id" maxlength="256">
        <label class="inline">limit <input id="user-limit" data-testid="user-limit" type="number" min="1" max="100" value="20" style="min-width:0;width:72px"></label>
        <button type="submit" data-testid="user-submit">Explain recommendations</button>
      </form>
    </div>
    <div id="user-body" data-testid="user-body"></div>
  </section>
  <section id="view-item" class="hidden" data-testid="view-item">
    <div class="panel">
      <form id="item-form" class="row" autocomplete="off">
        <input id="item-input" data-testid="item-input" placeholder="item id" aria-label="item id" maxlength="256">
        <button type="submit" data-testid="item-submit">Look up item</button>
      </form>
    </div>
    <div id="item-body" data-testid="item-body"></div>
  </section>
<!--growth-view-->
  <section id="view-ab" class="hidden" data-testid="view-ab">
    <div style="display:flex;justify-content:flex-end;margin-bottom:8px"><button type="button" class="secondary" id="ab-refresh">Refresh</button></div>
    <div id="ab-body"></div>
  </section>
</main>
`;

// The token form lives inside <main> (below the error banner) so a 401 message sits right above it.
const TOKEN_FORM = String.raw`
<div class="panel">
  <h2>Operator sign-in</h2>
  <p>The console reads the service's <code>/debug</code> endpoints. Enter the operator token (<code>DEBUG_TOKEN</code>);
  it stays in this browser tab only (sessionStorage).</p>
  <form id="token-form" class="row" autocomplete="off">
    <input id="token-input" data-testid="token-input" type="password" placeholder="debug token" aria-label="debug token" autofocus>
    <button type="submit" data-testid="token-submit">Open console</button>
  </form>
</div>
`;

export const CONSOLE_HTML = [
  '<!doctype html>',
  '<html lang="en">',
  '<head>',
  '<meta charset="utf-8">',
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  // Nothing leaves this origin: no CDN, no fonts, no images from elsewhere.
  `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
  '<meta name="referrer" content="no-referrer">',
  '<title>Storefront recs · operator console</title>',
  `<style>${STYLE}</style>`,
  '</head>',
  '<body>',
  BODY.replace('<!--token-form-->', TOKEN_FORM).replace('<!--growth-view-->', GROWTH_VIEW),
  // Chart.js, bundled with the service (see console/routes.ts), for the Growth page.
  '<script src="/console/chart.js"></script>',
  `<script>${SCRIPT.replace('/*growth-script*/', GROWTH_SCRIPT)}</script>`,
  '</body>',
  '</html>',
].join('\n');
