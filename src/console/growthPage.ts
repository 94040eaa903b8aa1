/**
 * The console's Growth page: segment sizes over model versions (a stacked bar chart), the
 * transition matrix between the previous and the live version (a heat map), retention, activation,
 * win-back and churn per segment, KPI trends per day by variant with 95% intervals (line charts),
 * and the experiments with their targeting. Charts are drawn by Chart.js, served by the service
 * itself (`/console/chart.js`, no CDN).
 *
 * Like page.ts's script this avoids backticks and "${" so it can live in a raw template; it runs
 * inside the page script's closure and uses its helpers (h, api, kv, pct, intf...).
 */

export const GROWTH_VIEW = String.raw`
  <section id="view-growth" class="hidden" data-testid="view-growth">
    <div style="display:flex;justify-content:flex-end;margin-bottom:8px"><button type="button" class="secondary" id="growth-refresh">Refresh</button></div>
    <div id="growth-body"></div>
  </section>
`;

export const GROWTH_SCRIPT = String.raw`
  // ---- Growth ----
  var SEGMENT_COLOURS = { 'new': '#4e79a7', churned: '#e15759', at_risk: '#edc948', high_value: '#b07aa1', paying: '#f28e2b', active: '#59a14f' };
  var SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#9c755f', '#edc948'];
  var KPIS = {
    ctr: { label: 'CTR', of: function (s) { return interval(s.clicks, s.impressions); }, fmt: function (x) { return pct(x); } },
    conversion: { label: 'Conversion', of: function (s) { return interval(s.purchases, s.impressions); }, fmt: function (x) { return pct(x); } },
    revenuePerThousand: { label: 'Revenue / 1,000 impressions', of: revenueInterval, fmt: function (x) { return num(x, 2); } }
  };
  var growthCharts = [];

  function destroyGrowthCharts() { growthCharts.forEach(function (c) { c.destroy(); }); growthCharts = []; }
  function drawChart(canvas, config) {
    if (typeof Chart === 'undefined') throw new Error('the chart library did not load (/console/chart.js)');
    config.options = config.options || {};
    config.options.animation = false;
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    var c = new Chart(canvas, config);
    growthCharts.push(c);
    return c;
  }
  function chartBox(testid) {
    var canvas = h('canvas', { testid: testid });
    return { canvas: canvas, box: h('div', { style: { position: 'relative', height: '280px' } }, canvas) };
  }
  /** A proportion x / n with its 95% Wald interval: [p, lo, hi]. */
  function interval(x, n) {
    if (!n) return null;
    var p = x / n;
    var se = Math.sqrt(p * (1 - p) / n);
    return [p, Math.max(0, p - 1.96 * se), Math.min(1, p + 1.96 * se)];
  }
  /** Revenue per 1,000 impressions with its 95% interval, each impression's revenue a sample. */
  function revenueInterval(s) {
    if (!s.impressions) return null;
    var mean = s.revenue / s.impressions;
    var variance = Math.max(0, s.revenueSq / s.impressions - mean * mean);
    var se = Math.sqrt(variance / s.impressions);
    return [1000 * mean, 1000 * Math.max(0, mean - 1.96 * se), 1000 * (mean + 1.96 * se)];
  }
  function versionLabel(v) { return (v.dataNow || v.trainedAt).slice(0, 10) + ' ' + v.version.slice(-4); }

  function segmentsPanel(g) {
    var c = chartBox('growth-segments-chart');
    var panel = h('div', { class: 'panel' }, h('h2', null, 'Segment sizes by version'), c.box);
    return { panel: panel, draw: function () {
      drawChart(c.canvas, {
        type: 'bar',
        data: {
          labels: g.versions.map(versionLabel),
          datasets: SEGMENT_ORDER.map(function (s) {
            return { label: s, data: g.versions.map(function (v) { return v.segments[s] || 0; }), backgroundColor: SEGMENT_COLOURS[s], stack: 'shoppers' };
          })
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'shoppers' } } } }
      });
    } };
  }

  function transitionsPanel(g) {
    if (!g.transitions) {
      return h('div', { class: 'panel' }, h('h2', null, 'Segment movement'),
        h('p', { class: 'notice info', testid: 'growth-no-transitions' }, 'Movement needs two published versions: it shows after the next nightly training.'));
    }
    var t = g.transitions;
    var head = h('tr', null, h('th', null, 'from \\ to'), SEGMENT_ORDER.map(function (s) { return h('th', { class: 'num' }, s); }), h('th', { class: 'num' }, 'retention'),
      h('th', { class: 'num' }, 'activation'), h('th', { class: 'num' }, 'win-back'), h('th', { class: 'num' }, 'churn'));
    var body = h('tbody');
    SEGMENT_ORDER.forEach(function (a) {
      var row = t.counts[a] || {};
      var total = SEGMENT_ORDER.reduce(function (n, b) { return n + (row[b] || 0); }, 0);
      var r = g.retention[a];
      body.appendChild(h('tr', { testid: 'growth-transition-row', 'data-segment': a },
        h('th', null, a),
        SEGMENT_ORDER.map(function (b) {
          var n = row[b] || 0;
          var share = total ? n / total : 0;
          return h('td', { class: 'num', title: a + ' -> ' + b + ': ' + pct(share), style: { background: 'rgba(78, 121, 167, ' + (0.08 + 0.8 * share).toFixed(3) + ')', color: share > 0.5 ? '#fff' : 'inherit' } }, intf(n));
        }),
        h('td', { class: 'num' }, r ? pct(r.rate) : '–'),
        h('td', { class: 'num' }, r && r.activation !== undefined ? pct(r.activation) : ''),
        h('td', { class: 'num' }, r && r.winBack !== undefined ? pct(r.winBack) : ''),
        h('td', { class: 'num' }, r && r.churn !== undefined ? pct(r.churn) : '')));
    });
    return h('div', { class: 'panel' },
      h('h2', null, 'Segment movement'),
      kv([['From', h('code', null, t.from)], ['To (live)', h('code', null, t.to)]]),
      h('p', { class: 'muted', style: { 'font-size': '12px' } }, 'Rows: shoppers of each segment in the previous version; columns: their segment now (the darker, the larger the share of the row). Retention: share with any event since the previous version\'s data ends.'),
      h('div', { style: { 'overflow-x': 'auto' } }, h('table', { class: 'heatmap', testid: 'growth-transitions' }, h('thead', null, head), body)));
  }

  /** Outcome rows summed per series (experiment/variant) and day, for one segment or all. */
  function trendSeries(g, segment) {
    var days = [];
    var series = {};
    g.outcomes.forEach(function (r) {
      if (segment !== 'all' && r.segment !== segment) return;
      if (days.indexOf(r.day) < 0) days.push(r.day);
      var name = (r.experiment || 'outside experiments') + ' / ' + r.variant;
      var byDay = series[name] || (series[name] = {});
      var s = byDay[r.day] || (byDay[r.day] = { impressions: 0, clicks: 0, purchases: 0, revenue: 0, revenueSq: 0 });
      s.impressions += r.impressions; s.clicks += r.clicks; s.purchases += r.purchases; s.revenue += r.revenue; s.revenueSq += r.revenueSq;
    });
    days.sort();
    return { days: days, series: series };
  }

  function trendsPanel(g) {
    var segmentSelect = h('select', { testid: 'growth-trend-segment', 'aria-label': 'segment' }, h('option', { value: 'all' }, 'every segment'),
      SEGMENT_ORDER.map(function (s) { return h('option', { value: s }, s); }));
    var kpiSelect = h('select', { testid: 'growth-trend-kpi', 'aria-label': 'KPI' }, Object.keys(KPIS).map(function (k) { return h('option', { value: k }, KPIS[k].label); }));
    var c = chartBox('growth-trend-chart');
    var chartRef = null;
    function draw() {
      if (chartRef) { chartRef.destroy(); growthCharts.splice(growthCharts.indexOf(chartRef), 1); }
      var kpi = KPIS[kpiSelect.value];
      var t = trendSeries(g, segmentSelect.value);
      var datasets = [];
      Object.keys(t.series).sort().forEach(function (name, x) {
        var colour = SERIES_COLOURS[x % SERIES_COLOURS.length];
        var points = t.days.map(function (d) { var s = t.series[name][d]; return s ? kpi.of(s) : null; });
        datasets.push({ label: name + ' 95% high', data: points.map(function (p) { return p && p[2]; }), borderWidth: 0, pointRadius: 0, backgroundColor: colour + '33', fill: '+1' });
        datasets.push({ label: name + ' 95% low', data: points.map(function (p) { return p && p[1]; }), borderWidth: 0, pointRadius: 0, fill: false });
        datasets.push({ label: name, data: points.map(function (p) { return p && p[0]; }), borderColor: colour, backgroundColor: colour, fill: false, tension: 0.2 });
      });
      chartRef = drawChart(c.canvas, {
        type: 'line',
        data: { labels: t.days, datasets: datasets },
        options: {
          spanGaps: true,
          plugins: { legend: { labels: { filter: function (item) { return item.text.indexOf(' 95% ') < 0; } } } },
          scales: { y: { beginAtZero: true, title: { display: true, text: kpi.label } } }
        }
      });
    }
    segmentSelect.addEventListener('change', draw);
    kpiSelect.addEventListener('change', draw);
    var panel = h('div', { class: 'panel' },
      h('h2', null, 'KPIs by day and variant'),
      h('div', { class: 'row', style: { 'margin-bottom': '8px' } }, segmentSelect, kpiSelect),
      g.outcomes.length ? null : h('p', { class: 'notice info' }, 'No outcomes yet: the storefront reports impressions, clicks and purchases through POST /v1/feedback.'),
      c.box,
      h('p', { class: 'muted', style: { 'font-size': '12px' } }, 'Shaded: the 95% interval of each day\'s value.'));
    return { panel: panel, draw: draw };
  }

  function experimentsPanel(g) {
    if (!g.experiments.length) {
      return h('div', { class: 'panel' }, h('h2', null, 'Experiments'), h('p', { class: 'notice info', testid: 'growth-no-experiments' }, 'No experiment configured: every answer counts as default.'));
    }
    var body = h('tbody');
    g.experiments.forEach(function (e) {
      var aim = [e.segments ? 'segments ' + e.segments.join(', ') : 'every segment'];
      if (e.tags) Object.keys(e.tags).forEach(function (k) { aim.push(k + ' = ' + e.tags[k]); });
      aim.push(e.placement ? 'placement ' + e.placement : 'every placement');
      if (e.start || e.stop) aim.push((e.start || '…') + ' → ' + (e.stop || '…'));
      if (!e.variants.length) body.appendChild(h('tr', { testid: 'growth-experiment' }, h('td', null, h('code', null, e.name)), h('td', null, aim.join(' · ')), h('td', null, e.control), h('td', { colspan: 4, class: 'muted' }, 'no variant beside control')));
      e.variants.forEach(function (v) {
        body.appendChild(h('tr', { testid: 'growth-experiment' },
          h('td', null, h('code', null, e.name)), h('td', null, aim.join(' · ')), h('td', null, e.control + ' → ' + v.variant),
          diffCell(v.ctr), diffCell(v.conversion), moneyDiffCell(v.revenuePerThousand)));
      });
    });
    return h('div', { class: 'panel' }, h('h2', null, 'Experiments'),
      h('div', { style: { 'overflow-x': 'auto' } }, h('table', { testid: 'growth-experiments' },
        h('thead', null, h('tr', null, h('th', null, 'Experiment'), h('th', null, 'Aimed at'), h('th', null, 'Variant'), h('th', { class: 'num' }, 'Δ CTR'), h('th', { class: 'num' }, 'Δ conversion'), h('th', { class: 'num' }, 'Δ revenue / 1,000'))),
        body)));
  }

  function loadGrowth() {
    var box = clear($('growth-body'));
    box.appendChild(h('p', { class: 'loading' }, 'Loading the growth report…'));
    return api('/debug/growth').then(function (g) {
      loaded.growth = true;
      destroyGrowthCharts();
      clear(box);
      var segments = segmentsPanel(g);
      var trends = trendsPanel(g);
      box.appendChild(segments.panel);
      box.appendChild(transitionsPanel(g));
      box.appendChild(trends.panel);
      box.appendChild(experimentsPanel(g));
      if (!g.complete) box.insertBefore(h('p', { class: 'notice warn' }, 'The cache could not be read: outcomes not yet flushed to the database are missing.'), box.firstChild);
      segments.draw();
      trends.draw();
      box.setAttribute('data-rendered', String(growthCharts.length));
    }).catch(function (e) { clear(box); handleError(e, 'Growth'); });
  }
`;
