// The dashboard: sign-in, hash routing and the six pages, drawn from the server's aggregates
// (/api/dashboard/*) and the query API (/api/customers, /api/segments). Nothing is fetched
// from outside this server.

import { t, label, setLang, currentLang, errorText, fmtInt, fmtNum, fmtPct, fmtMoney, fmtDate, fmtDateTime, fmtMonth, fmtCompact } from './i18n.js';
import { barsH, columns, lines, dots, heatmap, esc, PALETTE } from './charts.js';

const KEY = 'xinli.key';
const session = { key: sessionStorage.getItem(KEY), role: null };
const main = () => document.getElementById('main');

class HttpError extends Error {
  constructor(status, body) { super(errorText(body)); this.status = status; this.body = body; }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${session.key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) { signOut(); throw new HttpError(401, data); }
  if (!r.ok) throw new HttpError(r.status, data);
  return data;
}

function signOut() {
  sessionStorage.removeItem(KEY);
  session.key = null;
  session.role = null;
  render();
}

// ---------- shell ----------

const PAGES = ['overview', 'psychology', 'value', 'voice', 'customer', 'segments'];

function route() {
  const [page, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { page: PAGES.includes(page) ? page : 'overview', arg: rest.map(decodeURIComponent).join('/') };
}

function shell() {
  const { page } = route();
  document.title = t('title');
  document.getElementById('brand').textContent = t('title');
  document.getElementById('nav').innerHTML = PAGES.map((p) =>
    `<a href="#/${p}" data-page="${p}" class="${p === page ? 'active' : ''}">${esc(t(`nav_${p}`))}</a>`).join('');
  const tools = document.getElementById('tools');
  tools.innerHTML = `<button type="button" id="lang" data-testid="lang-switch">${esc(t('lang_switch'))}</button>` +
    (session.key ? `<button type="button" id="logout">${esc(t('logout'))}</button>` : '');
  document.getElementById('lang').onclick = () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); render(); };
  const logout = document.getElementById('logout');
  if (logout) logout.onclick = signOut;
}

function loginPage() {
  main().innerHTML = `<section class="card login"><h1>${esc(t('login_title'))}</h1><p class="muted">${esc(t('login_help'))}</p>
    <form id="login"><label>${esc(t('login_key'))}<input id="key" name="key" type="password" autocomplete="off" required></label>
    <button type="submit">${esc(t('login_button'))}</button><p class="error" id="login-error"></p></form></section>`;
  document.getElementById('login').onsubmit = async (e) => {
    e.preventDefault();
    session.key = document.getElementById('key').value.trim();
    try {
      const me = await api('/api/dashboard/me');
      session.role = me.role;
      sessionStorage.setItem(KEY, session.key);
      render();
    } catch (err) {
      session.key = null;
      document.getElementById('login-error').textContent = err.status === 401 ? t('login_failed') : err.message;
    }
  };
}

let renderToken = 0;

async function render() {
  shell();
  const token = ++renderToken;
  if (!session.key) { loginPage(); return; }
  if (!session.role) {
    try { session.role = (await api('/api/dashboard/me')).role; } catch { return; }
  }
  const { page, arg } = route();
  main().innerHTML = `<p class="muted">${esc(t('loading'))}</p>`;
  try {
    const html = await PAGE_RENDERERS[page](arg);
    if (token !== renderToken) return;
    main().innerHTML = html;
    main().dataset.page = page;
    if (AFTER[page]) AFTER[page](arg);
  } catch (err) {
    if (token !== renderToken || err.status === 401) return;
    main().innerHTML = `<section class="card"><p class="error">${esc(err.message)}</p></section>`;
  }
}

const card = (title, body, cls = '') => `<section class="card ${cls}"><h2>${esc(title)}</h2>${body}</section>`;
const noAnalysis = () => card(t('title'), `<p class="muted" data-testid="no-analysis">${esc(t('no_analysis'))}</p>`);

function runLine(run) {
  if (!run) return '';
  return `<p class="muted run">${esc(t('run'))} #${esc(run.run_id)} · ${esc(t('as_of'))} ${esc(fmtDate(run.as_of || run.finished_at))} · ${esc(run.source || '')}</p>`;
}

// ---------- overview ----------

async function overview() {
  const d = await api('/api/dashboard/overview');
  if (!d.run) return noAnalysis();
  const k = d.kpis;
  const kpi = (key, value, note = '') => `<div class="kpi" data-testid="kpi-${key}"><span class="kpi-label">${esc(t(`kpi_${key}`))}</span><strong>${esc(value)}</strong>${note ? `<small>${esc(note)}</small>` : ''}</div>`;
  const kpis = `<div class="kpis">${kpi('customers', fmtInt(k.customers))}${kpi('active', fmtInt(k.active), t('kpi_active_note'))}${kpi('repeat', fmtPct(k.repeat_rate))}${kpi('revenue', fmtMoney(k.revenue))}${kpi('clv', fmtMoney(k.clv))}${kpi('churn', fmtInt(k.churn_risk), t('kpi_churn_note'))}</div>`;
  const trend = d.trends && d.trends.length ? card(t('trends'), `<div class="two">
      ${lines(d.trends.map((p) => fmtMonth(p.month)), [
        { name: t('trend_customers'), values: d.trends.map((p) => p.customers) },
        { name: t('trend_active'), values: d.trends.map((p) => p.active) }], { fmt: fmtCompact })}
      ${lines(d.trends.map((p) => fmtMonth(p.month)), [{ name: t('trend_revenue'), values: d.trends.map((p) => p.revenue), color: PALETTE[1] }], { fmt: fmtMoney })}</div>`) : '';
  const personas = card(t('persona_mix'), barsH(d.personas.map((p, i) => ({
    label: label('persona', p.persona), value: p.customers, color: PALETTE[i % PALETTE.length],
    attrs: `data-filter="persona" data-value="${esc(p.persona ?? '')}"`,
  })), { fmt: fmtInt }));
  const cells = new Map(d.rfm.map((c) => [`${c.r}:${c.f}`, c.customers]));
  const rs = [5, 4, 3, 2, 1], fs = [1, 2, 3, 4, 5];
  const grid = card(t('rfm_grid'), heatmap(rs.map((r) => `R${r}`), fs.map((f) => `F${f}`), rs.map((r) => fs.map((f) => cells.get(`${r}:${f}`) ?? null)), {
    fmt: fmtInt, rowTitle: t('rfm_r'), colTitle: t('rfm_f'),
    cellAttrs: (i, j) => `data-testid="rfm-${rs[i]}-${fs[j]}" data-filter="rfm" data-value="${rs[i]}:${fs[j]}"`,
  }));
  return `${runLine(d.run)}${kpis}${trend}<div class="two">${personas}${grid}</div><div id="members"></div>`;
}

async function showMembers(filter, value, offset = 0) {
  const params = new URLSearchParams({ limit: '20', offset: String(offset) });
  let title = '';
  if (filter === 'rfm') { const [r, f] = value.split(':'); params.set('r', r); params.set('f', f); title = `R${r} F${f}`; }
  else { params.set(filter, value); title = label(filter === 'value_tier' ? 'tier' : filter, value); }
  const box = document.getElementById('members');
  const d = await api(`/api/dashboard/members?${params}`);
  box.innerHTML = card(`${t('members_of')}${title}`, `<p class="muted">${esc(t('total'))} ${esc(fmtInt(d.total))}</p>${memberTable(d.members)}${pager(d.total, offset, 20)}`, 'members');
  box.querySelectorAll('[data-offset]').forEach((b) => { b.onclick = () => showMembers(filter, value, +b.dataset.offset); });
  box.scrollIntoView({ block: 'nearest' });
}

function memberTable(rows) {
  return `<div class="scroll"><table data-testid="member-table"><thead><tr><th>${esc(t('col_customer'))}</th><th>${esc(t('col_persona'))}</th><th>${esc(t('col_segment'))}</th><th class="num">${esc(t('col_clv'))}</th><th class="num">${esc(t('col_churn'))}</th><th class="num">${esc(t('col_spend'))}</th><th>${esc(t('col_action'))}</th></tr></thead><tbody>${rows.map((m) =>
    `<tr><td><a href="#/customer/${encodeURIComponent(m.customer_id)}">${esc(m.customer_id)}</a></td><td>${esc(label('persona', m.persona))}</td><td>${esc(label('segment', m.rfm_segment))}</td><td class="num">${esc(fmtMoney(m.clv))}</td><td class="num">${esc(fmtPct(m.churn_risk))}</td><td class="num">${esc(fmtMoney(m.total_spend))}</td><td>${esc(label('action', m.next_best_action))}</td></tr>`).join('')}</tbody></table></div>`;
}

function pager(total, offset, limit) {
  const prev = offset > 0 ? `<button type="button" data-offset="${Math.max(0, offset - limit)}">${esc(t('prev'))}</button>` : '';
  const next = offset + limit < total ? `<button type="button" data-offset="${offset + limit}">${esc(t('next'))}</button>` : '';
  return `<div class="pager">${prev}${next}</div>`;
}

function membersOnClick() {
  main().querySelectorAll('[data-filter]').forEach((el) => {
    el.addEventListener('click', () => showMembers(el.dataset.filter, el.dataset.value).catch(showError));
  });
}

function showError(err) {
  const box = document.getElementById('members') || main();
  box.insertAdjacentHTML('afterbegin', `<p class="error">${esc(err.message)}</p>`);
}

// ---------- psychology ----------

/** Rows of the persona × segment table: the largest values at stake. */
const PERSONA_SEGMENT_ROWS = 15;

async function psychology() {
  const d = await api('/api/dashboard/psychology');
  if (!d.run) return noAnalysis();
  const traitCharts = d.traits.map((tr) => `<div class="mini"><h3>${esc(label('trait', tr.trait))}</h3>${columns(
    tr.bins.map((b) => fmtNum(b.from, 1)), [{ name: t('col_customers'), values: tr.bins.map((b) => b.customers) }], { fmt: fmtCompact, height: 170 })}
    <p class="muted small">${esc(t('unknown'))}: ${esc(fmtInt(tr.unknown))}</p></div>`).join('');
  const table = `<div class="scroll"><table data-testid="persona-segment"><thead><tr><th>${esc(t('col_persona'))}</th><th>${esc(t('col_segment'))}</th><th class="num">${esc(t('col_customers'))}</th><th class="num">${esc(t('col_clv'))}</th><th class="num">${esc(t('col_value_at_stake'))}</th><th>${esc(t('col_action'))}</th></tr></thead><tbody>${d.persona_segments.slice(0, PERSONA_SEGMENT_ROWS).map((r) =>
    `<tr><td>${esc(label('persona', r.persona))}</td><td>${esc(label('segment', r.rfm_segment))}</td><td class="num">${esc(fmtInt(r.customers))}</td><td class="num">${esc(fmtMoney(r.clv))}</td><td class="num">${esc(fmtMoney(r.value_at_stake))}</td><td>${esc(label('action', r.action))}</td></tr>`).join('')}</tbody></table></div>`;
  const stages = barsH(d.journey.map((s, i) => ({ label: label('stage', s.stage), value: s.customers, color: PALETTE[i % PALETTE.length] })), { fmt: fmtInt });
  const barriers = barsH(d.barriers.map((b) => ({ label: label('barrier', b.barrier), value: b.customers, color: PALETTE[3] })), { fmt: fmtInt, emptyText: t('unknown') });
  return `${runLine(d.run)}${card(t('trait_distributions'), `<div class="grid3">${traitCharts}</div>`)}
    ${card(t('persona_segment'), table)}
    <div class="two">${card(t('journey_stages'), stages)}${card(t('funnel'), funnel(d.funnel))}</div>
    <div class="two">${card(t('barriers'), barriers)}${card(t('churn_drivers'), drivers(d.churn_drivers))}</div>`;
}

function funnel(steps) {
  if (!steps || !steps.length) return `<p class="muted">–</p>`;
  const first = steps[0].customers || 1;
  return barsH(steps.map((s, i) => {
    const prev = i ? steps[i - 1].customers : s.customers;
    const drop = i && prev ? 1 - s.customers / prev : 0;
    return { label: `${label('funnel', s.step)}${i ? ` (−${fmtPct(drop, 0)})` : ''}`, value: s.customers, color: PALETTE[0] };
  }), { fmt: (v) => `${fmtInt(v)} · ${fmtPct(v / first, 0)}` });
}

function drivers(rows) {
  if (!rows || !rows.length) return `<p class="muted">–</p>`;
  return barsH(rows.slice(0, 10).map((r) => ({ label: (currentLang() === 'zh' ? r.label_zh : r.label_en) || r.factor, value: r.odds_ratio, color: r.odds_ratio > 1 ? PALETTE[3] : PALETTE[1] })), { fmt: (v) => `${t('odds_ratio')} ${fmtNum(v, 2)}` });
}

// ---------- value ----------

async function value() {
  const d = await api('/api/dashboard/value');
  if (!d.run) return noAnalysis();
  const hist = columns(d.clv_histogram.map((b) => fmtCompact(b.from)), [{ name: t('col_customers'), values: d.clv_histogram.map((b) => b.customers) }], { fmt: fmtCompact });
  const alive = dots(d.p_alive_by_recency.map((p) => ({ x: p.days, y: p.p_alive, weight: p.customers })), {
    xLabel: t('days_since'), yLabel: t('p_alive'), fmtX: (v) => fmtInt(v), fmtY: (v) => fmtPct(v, 0),
  });
  const cohorts = d.cohorts && d.cohorts.rows && d.cohorts.rows.length ? heatmap(d.cohorts.rows.map(fmtMonth), d.cohorts.months.map((m) => String(m)), d.cohorts.retention, {
    fmt: (v) => fmtPct(v, 0), rowTitle: t('cohort'), colTitle: t('month_n'),
  }) : `<p class="muted">–</p>`;
  const pareto = dots(d.pareto.map((p) => ({ x: p.customers_share, y: p.revenue_share })), {
    xMax: 1, yMax: 1, curve: true, xLabel: t('pareto_x'), yLabel: t('pareto_y'), fmtX: (v) => fmtPct(v, 0), fmtY: (v) => fmtPct(v, 0),
  });
  const tiers = barsH(d.value_tiers.map((v, i) => ({ label: `${label('tier', v.tier)} · ${fmtInt(v.customers)}`, value: v.revenue, color: PALETTE[i % PALETTE.length], attrs: `data-filter="value_tier" data-value="${esc(v.tier)}"` })), { fmt: fmtMoney });
  return `${runLine(d.run)}<div class="two">${card(t('clv_distribution'), hist)}${card(t('palive_recency'), alive)}</div>
    <div class="two">${card(t('cohort_heatmap'), cohorts)}${card(t('pareto'), pareto)}</div>${card(t('value_tiers'), tiers)}<div id="members"></div>`;
}

// ---------- voice ----------

async function voice() {
  const d = await api('/api/dashboard/voice');
  // The text model's sentiment when the run has it, else the star ratings (≥ 4 / ≤ 2).
  const byMonth = d.sentiment_by_month && d.sentiment_by_month.length ? d.sentiment_by_month : d.rating_by_month;
  const trend = lines(byMonth.map((m) => fmtMonth(m.month)), [
    { name: t('positive'), values: byMonth.map((m) => m.positive_share), color: PALETTE[1] },
    { name: t('negative'), values: byMonth.map((m) => m.negative_share), color: PALETTE[3] }], { fmt: (v) => fmtPct(v, 0), yMax: 1 });
  const aspects = barsH(d.aspects.map((a) => ({ label: `${label('aspect', a.aspect)} · ${fmtPct(a.share_negative, 0)} ${t('negative')}`, value: a.mentions, color: a.share_negative > 0.5 ? PALETTE[3] : PALETTE[0] })), { fmt: fmtInt });
  const emotions = barsH(d.emotions.map((e, i) => ({ label: label('emotion', e.emotion), value: e.customers, color: PALETTE[i % PALETTE.length] })), { fmt: fmtInt });
  const ratings = columns(d.ratings.map((r) => `${r.rating}★`), [{ name: t('count'), values: d.ratings.map((r) => r.reviews) }], { fmt: fmtCompact, height: 180 });
  const queue = `<div class="scroll"><table data-testid="complaints"><thead><tr><th>${esc(t('date'))}</th><th>${esc(t('col_customer'))}</th><th class="num">${esc(t('severity'))}</th><th>${esc(t('text'))}</th></tr></thead><tbody>${d.complaints.map((c) =>
    `<tr><td>${esc(fmtDate(c.date))}</td><td>${c.customer_id ? `<a href="#/customer/${encodeURIComponent(c.customer_id)}">${esc(c.customer_id)}</a>` : '–'}</td><td class="num">${esc(c.severity ?? (c.rating ? `${c.rating}★` : '–'))}</td><td>${esc(c.text)}</td></tr>`).join('')}</tbody></table></div>`;
  return `${runLine(d.run)}<div class="two">${card(t('sentiment_trend'), trend)}${card(t('ratings'), ratings)}</div>
    <div class="two">${card(t('aspects'), aspects)}${card(t('emotions'), emotions)}</div>${card(t('complaints'), queue)}`;
}

// ---------- customer 360 ----------

/** A text of the analysis in the reader's language (`name_zh` / `name_en` of the customers.csv
 * row), else as written in the report language (`name`; runs before these columns existed). */
function inLang(scores, name) {
  return (scores.data && scores.data[`${name}_${currentLang()}`]) || scores[name] || '';
}

const TRAITS = ['price_sensitivity', 'info_seeking', 'convenience', 'trust_concern', 'social_influence', 'novelty_seeking'];

async function customer(id) {
  const search = `<form id="search" class="row"><input id="q" name="q" data-testid="customer-search" placeholder="${esc(t('search_placeholder'))}" value="${esc(id || '')}"><button type="submit">${esc(t('search'))}</button></form><div id="hits"></div>`;
  if (!id) return card(t('nav_customer'), search);
  const hits = await findCustomers(id);
  if (hits.length !== 1 || hits[0].customer_id !== id) {
    return card(t('nav_customer'), search + hitList(hits));
  }
  const c = await api(`/api/customers/${encodeURIComponent(id)}?recent=30`);
  const pii = Object.entries(c.pii || {}).filter(([, v]) => v).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const sc = c.scores;
  const profile = sc ? `<dl class="facts">
      <dt>${esc(t('col_persona'))}</dt><dd data-testid="persona">${esc(label('persona', sc.persona))}</dd>
      <dt>${esc(t('col_segment'))}</dt><dd>${esc(label('segment', sc.rfm_segment))}</dd>
      <dt>${esc(t('stage_at_analysis'))}</dt><dd data-testid="stage-at-analysis">${esc(label('stage', sc.journey_stage))}</dd>
      <dt>${esc(t('col_clv'))}</dt><dd>${esc(fmtMoney(sc.clv))}</dd>
      <dt>${esc(t('p_alive'))}</dt><dd>${esc(fmtPct(sc.p_alive))}</dd>
      <dt>${esc(t('col_churn'))}</dt><dd>${esc(fmtPct(sc.churn_risk))}</dd>
      <dt>${esc(t('col_orders'))}</dt><dd>${esc(fmtInt(sc.orders))}</dd>
      <dt>${esc(t('col_spend'))}</dt><dd>${esc(fmtMoney(sc.total_spend))}</dd></dl>` : `<p class="muted">${esc(t('not_scored'))}</p>`;
  const live = `<dl class="facts"><dt>${esc(t('first_seen'))}</dt><dd>${esc(fmtDateTime(c.first_seen))}</dd><dt>${esc(t('col_last_seen'))}</dt><dd>${esc(fmtDateTime(c.last_seen))}</dd>
    <dt>${esc(t('stage_live'))}</dt><dd data-testid="stage-live">${esc(label('stage', c.profile && c.profile.journey_stage))}</dd>
    <dt>${esc(t('identities'))}</dt><dd>${esc(c.identities.map((i) => i[1]).join(', '))}</dd></dl>`;
  const traits = sc ? TRAITS.map((tr) => {
    const v = sc[`trait_${tr}`] ?? null;
    const ev = c.evidence.filter((e) => e.trait === tr);
    return `<div class="trait" data-testid="trait-${esc(tr)}"><div class="trait-head"><span>${esc(label('trait', tr))}</span><svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"><rect width="100" height="8" class="track"/><rect width="${v === null ? 0 : Math.round(v * 100)}" height="8" class="fill"/></svg><strong>${esc(v === null ? t('unknown') : fmtNum(v, 2))}</strong></div>
      ${ev.length ? `<ul class="evidence" data-testid="evidence">${ev.map((e) => `<li>${esc(currentLang() === 'zh' ? e.text_zh : e.text_en)} <span class="muted">(${esc(t('percentile'))} ${esc(fmtPct(e.percentile, 0))})</span></li>`).join('')}</ul>` : ''}</div>`;
  }).join('') : '';
  const nba = sc && sc.next_best_action ? `<p class="nba" data-testid="nba"><strong>${esc(label('action', sc.next_best_action))}</strong><br>${esc(inLang(sc, 'nba_reason'))}</p>
    ${sc.main_barrier ? `<p>${esc(t('barriers'))}: ${esc(label('barrier', sc.main_barrier))} — <span class="muted">${esc(inLang(sc, 'barrier_evidence'))}</span></p>` : ''}` : '<p class="muted">–</p>';
  const recs = c.recommendations.length ? `<table data-testid="recommendations"><thead><tr><th>${esc(t('product'))}</th><th class="num">${esc(t('score'))}</th><th>${esc(t('reason'))}</th></tr></thead><tbody>${c.recommendations.map((r) =>
    `<tr><td>${esc(r.product_id)}</td><td class="num">${esc(fmtNum(r.score, 3))}</td><td>${esc(currentLang() === 'zh' ? r.reason_zh : r.reason_en)}</td></tr>`).join('')}</tbody></table>` : '<p class="muted">–</p>';
  const timeline = [
    ...c.recent_events.map((e) => ({ ts: e.ts, kind: 'event', what: e.name || e.event_type || e.kind, detail: e.product_id || '' })),
    ...c.orders.map((o) => ({ ts: o.ordered_at, kind: 'order', what: o.order_id, detail: `${fmtMoney(o.amount)} · ${o.status}` })),
    ...c.reviews.map((r) => ({ ts: r.ts, kind: 'review', what: r.rating ? `${r.rating}★` : '', detail: r.text })),
  ].sort((a, b) => b.ts - a.ts).slice(0, 60);
  const tl = `<ol class="timeline" data-testid="timeline">${timeline.map((e) => `<li class="tl-${e.kind}"><time>${esc(fmtDateTime(e.ts))}</time> <b>${esc(label('kind', e.kind))}</b> ${esc(e.what)} <span class="muted">${esc(e.detail)}</span></li>`).join('')}</ol>`;
  return `${card(t('nav_customer'), search)}<h1 class="who" data-testid="customer-id">${esc(c.customer_id)}</h1>
    <div class="two">${card(t('profile'), profile + live)}${card(t('pii'), `<dl class="facts">${pii || '<dd>–</dd>'}</dl><p class="muted small">${session.role === 'admin' ? '' : esc(t('pii_masked'))}</p>`)}</div>
    <div class="two">${card(t('traits_evidence'), traits || `<p class="muted">${esc(t('not_scored'))}</p>`)}${card(t('nba'), nba) + card(t('recommendations'), recs)}</div>${card(t('timeline'), tl)}`;
}

async function findCustomers(q) {
  const search = async (param) => (await api(`/api/customers?${param}=${encodeURIComponent(q)}&limit=20`)).customers;
  if (q.includes('@')) return search('email');
  // Digits may be a phone number or an id: ask for both, phone matches first.
  const phoneLike = /^[+\d\s()-]+$/.test(q) && q.replace(/\D/g, '').length >= 7;
  const [byPhone, byId] = await Promise.all([phoneLike ? search('phone') : [], search('q')]);
  const seen = new Set();
  return [...byPhone, ...byId].filter((h) => !seen.has(h.customer_id) && seen.add(h.customer_id));
}

function hitList(hits) {
  if (!hits.length) return `<p class="muted" data-testid="no-match">${esc(t('no_match'))}</p>`;
  return `<ul class="hits">${hits.map((h) => `<li><a href="#/customer/${encodeURIComponent(h.customer_id)}">${esc(h.customer_id)}</a> <span class="muted">${esc(fmtInt(h.orders))} ${esc(t('col_orders'))} · ${esc(fmtMoney(h.total_spend))} · ${esc(label('stage', h.journey_stage))}</span></li>`).join('')}</ul>`;
}

function customerAfter() {
  const form = document.getElementById('search');
  if (form) form.onsubmit = (e) => { e.preventDefault(); location.hash = `#/customer/${encodeURIComponent(document.getElementById('q').value.trim())}`; };
}

// ---------- segments ----------

async function segments(arg) {
  const list = (await api('/api/segments')).segments;
  const current = arg ? list.find((s) => String(s.id) === arg) : null;
  const items = list.map((s) => `<li><a href="#/segments/${s.id}" data-testid="segment-${esc(s.name)}">${esc(s.name)}</a> <span class="muted">${esc(fmtInt(s.size))}</span></li>`).join('');
  const editor = `<form id="seg-form" class="editor">
    <label>${esc(t('seg_name'))}<input id="seg-name" data-testid="segment-name" required value="${esc(current ? current.name : '')}"></label>
    <label>${esc(t('seg_expression'))}<textarea id="seg-expr" data-testid="segment-expression" rows="3" spellcheck="false" required>${esc(current ? current.expression : '')}</textarea></label>
    <p class="muted small">${esc(t('seg_help'))}</p>
    <pre id="seg-error" class="error" data-testid="segment-error" hidden></pre>
    <label>${esc(t('seg_description'))}<input id="seg-desc" value="${esc(current ? current.description : '')}"></label>
    <div class="row"><button type="submit" data-testid="segment-save" ${session.role === 'admin' ? '' : 'disabled'}>${esc(current ? t('seg_update') : t('seg_save'))}</button>
    ${current ? `<button type="button" id="seg-delete">${esc(t('seg_delete'))}</button><a href="#/segments">${esc(t('seg_new'))}</a>` : ''}
    <span class="live">${esc(t('seg_live_size'))}: <strong id="seg-size" data-testid="segment-live-size">–</strong></span></div>
    ${session.role === 'admin' ? '' : `<p class="muted small">${esc(t('seg_admin_only'))}</p>`}</form>
    <div id="seg-preview"></div>`;
  const saved = current ? `<div id="seg-saved" data-testid="segment-saved"></div>` : '';
  return `<div class="two">${card(t('seg_list'), `<ul class="seglist">${items || '<li class="muted">–</li>'}</ul>`)}${card(current ? current.name : t('seg_new'), editor)}</div>${saved}`;
}

let previewTimer = null, previewSeq = 0;
/** How often an estimated preview asks whether its exact count is ready. */
const EXACT_POLL_MS = 3000;

async function preview() {
  const expr = document.getElementById('seg-expr').value;
  const seq = ++previewSeq;
  const errBox = document.getElementById('seg-error'), size = document.getElementById('seg-size'), box = document.getElementById('seg-preview');
  if (!expr.trim()) { errBox.hidden = true; size.textContent = '–'; box.innerHTML = ''; return; }
  const d = await api('/api/dashboard/segments/preview', { method: 'POST', body: { expression: expr, limit: 10 } });
  if (seq !== previewSeq) return;
  if (d.error) {
    errBox.hidden = false;
    errBox.textContent = `${currentLang() === 'zh' ? d.error.message_zh : d.error.message_en} (${t('line')} ${d.error.line}, ${t('column')} ${d.error.column})\n${d.error.excerpt}`;
    size.textContent = '–';
    box.innerHTML = '';
    return;
  }
  errBox.hidden = true;
  // An estimate from a sample says so, and asks again until the exact count is ready.
  const shown = d.exact ? fmtInt(d.size) : `≈ ${fmtInt(d.size)}`;
  size.textContent = shown;
  const note = d.exact ? '' : `<p class="muted" data-testid="segment-estimate">${esc(t('seg_estimate').replace('{n}', fmtInt(d.evaluated)))}${d.counting ? ' ' + esc(t('seg_counting')) : ''}</p>`;
  box.innerHTML = card(`${t('seg_preview')} · ${shown} / ${fmtInt(d.scanned)}`, `${note}<ul class="hits" data-testid="segment-preview">${d.members.map((m) => `<li><a href="#/customer/${encodeURIComponent(m)}">${esc(m)}</a></li>`).join('')}</ul>`);
  if (!d.exact) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => { if (seq === previewSeq && document.getElementById('seg-expr')) preview().catch(showError); }, EXACT_POLL_MS);
  }
}

async function showSaved(id) {
  const box = document.getElementById('seg-saved');
  if (!box) return;
  const [m, s] = await Promise.all([api(`/api/segments/${id}/members?limit=50`), api(`/api/segments/${id}/sizes?points=31`)]);
  const hist = lines(s.sizes.map((p) => fmtDate(p.at)), [{ name: t('seg_size'), values: s.sizes.map((p) => p.size) }], { fmt: fmtCompact });
  box.innerHTML = `<div class="two">${card(`${t('seg_members')} · ${fmtInt(m.segment.size)}`, `<ul class="hits" data-testid="segment-members">${m.members.map((x) => `<li><a href="#/customer/${encodeURIComponent(x.customer_id)}">${esc(x.customer_id)}</a> <span class="muted">${esc(fmtDateTime(x.entered_at))}</span></li>`).join('')}</ul>`)}${card(t('seg_history'), hist)}</div>`;
}

function segmentsAfter(arg) {
  const expr = document.getElementById('seg-expr');
  const run = () => preview().catch((err) => { document.getElementById('seg-error').hidden = false; document.getElementById('seg-error').textContent = err.message; });
  expr.addEventListener('input', () => { clearTimeout(previewTimer); previewTimer = setTimeout(run, 250); });
  if (expr.value.trim()) run();
  if (arg) showSaved(arg).catch(showError);
  const del = document.getElementById('seg-delete');
  if (del) del.onclick = async () => { await api(`/api/segments/${arg}`, { method: 'DELETE' }); location.hash = '#/segments'; };
  document.getElementById('seg-form').onsubmit = async (e) => {
    e.preventDefault();
    const body = { name: document.getElementById('seg-name').value.trim(), expression: expr.value, description: document.getElementById('seg-desc').value };
    try {
      const saved = arg ? await api(`/api/segments/${arg}`, { method: 'PUT', body }) : await api('/api/segments', { method: 'POST', body });
      if (location.hash === `#/segments/${saved.id}`) render(); else location.hash = `#/segments/${saved.id}`;
    } catch (err) {
      const box = document.getElementById('seg-error');
      box.hidden = false;
      box.textContent = err.message;
    }
  };
}

const PAGE_RENDERERS = { overview, psychology, value, voice, customer, segments };
const AFTER = { overview: membersOnClick, value: membersOnClick, customer: customerAfter, segments: segmentsAfter };

setLang(currentLang());
window.addEventListener('hashchange', render);
render();
