/* cxops console shell: routing, sign-in, role-aware navigation, and small DOM/chart helpers.
   Pages live in /static/pages/*.js and register themselves with cx.page({...}). No external assets. */
(function () {
  "use strict";
  const pages = [];
  const state = { me: null };
  const PALETTE = ["#1f6feb", "#e36209", "#1a7f37", "#8250df", "#cf222e", "#0a7ea4", "#9a6700", "#57606a"];

  function h(tag, attrs, ...children) {
    const el = document.createElementNS(tag === "svg" || (attrs && attrs._svg) ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false || k === "_svg") continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.setAttribute("class", v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function svg(tag, attrs, ...children) { return h(tag, Object.assign({ _svg: true }, attrs), ...children); }

  async function api(path, opts) {
    opts = opts || {};
    const init = { method: opts.method || "GET", credentials: "same-origin", headers: {} };
    if (opts.body !== undefined) {
      if (typeof opts.body === "string") { init.body = opts.body; init.headers["content-type"] = opts.contentType || "application/json"; }
      else { init.body = JSON.stringify(opts.body); init.headers["content-type"] = "application/json"; }
    }
    const res = await fetch(path, init);
    if (res.status === 401 && !opts.noRedirect) { state.me = null; showSignIn("Your session has ended: sign in again."); throw new Error("signed out"); }
    const type = res.headers.get("content-type") || "";
    const data = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) {
      const err = data && data.error ? data.error : { message: String(data || res.statusText) };
      const e = new Error(err.field ? `${err.message}` : err.message); e.status = res.status; e.detail = err; throw e;
    }
    return data;
  }

  function notify(message, kind) {
    const t = h("div", { class: "toast" + (kind === "error" ? " error" : ""), text: message });
    document.getElementById("toasts").append(t);
    setTimeout(() => t.remove(), 5000);
  }

  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumFractionDigits: 2 });
    return String(v);
  }

  function table(columns, rows, opts) {
    opts = opts || {};
    const head = h("tr", {}, columns.map(c => h("th", { scope: "col", text: c.label || c.key })));
    const body = rows.map(r => h("tr", {}, columns.map(c => {
      const v = c.format ? c.format(r[c.key], r) : fmt(r[c.key]);
      return h("td", {}, v instanceof Node ? v : String(v));
    })));
    const t = h("table", { class: "data" }, h("thead", {}, head), h("tbody", {}, body));
    if (opts.caption) t.prepend(h("caption", { class: "muted", text: opts.caption }));
    return t;
  }

  function kpi(label, value, hint) {
    return h("div", { class: "kpi", role: "group", "aria-label": label },
      h("div", { class: "label", text: label }), h("div", { class: "value", text: fmt(value) }),
      hint ? h("div", { class: "hint", text: hint }) : null);
  }

  function legend(series) {
    return h("div", { class: "legend" }, series.map((s, i) => h("span", {}, h("i", { style: `background:${s.color || PALETTE[i % PALETTE.length]}` }), s.name)));
  }

  function scale(d0, d1, r0, r1) { const span = (d1 - d0) || 1; return v => r0 + (v - d0) / span * (r1 - r0); }
  function ticks(min, max, n) { const out = []; for (let i = 0; i <= n; i++) out.push(min + (max - min) * i / n); return out; }
  function xval(x) { return typeof x === "string" ? Date.parse(x) : x; }

  function lineChart(o) {
    const W = o.width || 720, H = o.height || 220, P = { l: 48, r: 12, t: 10, b: 28 };
    const pts = o.series.flatMap(s => s.points);
    const root = h("figure", { class: "card chart", role: "img", "aria-label": o.title || o.yLabel || "chart" });
    if (!pts.length) { root.append(h("p", { class: "muted", text: "No data yet." })); return root; }
    const xs = pts.map(p => xval(p[0])), ys = pts.map(p => p[1]).filter(v => v !== null);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(0, ...ys), y1 = Math.max(...ys) || 1;
    const sx = scale(x0, x1, P.l, W - P.r), sy = scale(y0, y1, H - P.b, P.t);
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart" });
    for (const t of ticks(y0, y1, 4)) {
      s.append(svg("line", { x1: P.l, x2: W - P.r, y1: sy(t), y2: sy(t), stroke: "#e5e8ec" }));
      s.append(svg("text", { x: P.l - 6, y: sy(t) + 4, "text-anchor": "end", text: fmt(Math.round(t * 100) / 100) }));
    }
    const isTime = typeof pts[0][0] === "string";
    for (const t of ticks(x0, x1, 5)) {
      const label = isTime ? new Date(t).toISOString().slice(5, 16).replace("T", " ") : fmt(Math.round(t * 100) / 100);
      s.append(svg("text", { x: sx(t), y: H - 8, "text-anchor": "middle", text: label }));
    }
    o.series.forEach((ser, i) => {
      const color = ser.color || PALETTE[i % PALETTE.length];
      if (ser.band) {
        const up = ser.band.map(p => `${sx(xval(p[0]))},${sy(p[2])}`), lo = ser.band.map(p => `${sx(xval(p[0]))},${sy(p[1])}`).reverse();
        s.append(svg("polygon", { points: up.concat(lo).join(" "), fill: color, opacity: 0.15 }));
      }
      const d = ser.points.filter(p => p[1] !== null).map((p, j) => `${j ? "L" : "M"}${sx(xval(p[0])).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
      s.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": ser.dashed ? "5 4" : null }, svg("title", { text: ser.name })));
    });
    if (o.title) root.append(h("figcaption", { text: o.title }));
    root.append(s, legend(o.series));
    return root;
  }

  function barChart(o) {
    const W = o.width || 720, H = o.height || 220, P = { l: 48, r: 12, t: 10, b: 40 };
    const root = h("figure", { class: "card chart", role: "img", "aria-label": o.title || "bar chart" });
    if (!o.labels.length) { root.append(h("p", { class: "muted", text: "No data yet." })); return root; }
    const stacked = !!o.stacked;
    const totals = o.labels.map((_, i) => stacked ? o.series.reduce((a, s) => a + (s.values[i] || 0), 0) : Math.max(...o.series.map(s => s.values[i] || 0)));
    const y1 = Math.max(...totals) || 1, sy = scale(0, y1, H - P.b, P.t);
    const bw = (W - P.l - P.r) / o.labels.length, inner = stacked ? bw * 0.7 : bw * 0.8 / o.series.length;
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart" });
    for (const t of ticks(0, y1, 4)) {
      s.append(svg("line", { x1: P.l, x2: W - P.r, y1: sy(t), y2: sy(t), stroke: "#e5e8ec" }));
      s.append(svg("text", { x: P.l - 6, y: sy(t) + 4, "text-anchor": "end", text: fmt(Math.round(t * 10) / 10) }));
    }
    const every = Math.ceil(o.labels.length / 14);
    o.labels.forEach((label, i) => {
      let base = 0;
      o.series.forEach((ser, k) => {
        const v = ser.values[i] || 0, color = ser.color || PALETTE[k % PALETTE.length];
        const x = P.l + i * bw + (stacked ? bw * 0.15 : bw * 0.1 + k * inner);
        const yTop = sy(stacked ? base + v : v), yBot = sy(stacked ? base : 0);
        s.append(svg("rect", { x, y: yTop, width: Math.max(1, inner - 1), height: Math.max(0, yBot - yTop), fill: color }, svg("title", { text: `${ser.name} · ${label}: ${fmt(v)}` })));
        if (stacked) base += v;
      });
      if (i % every === 0) s.append(svg("text", { x: P.l + i * bw + bw / 2, y: H - 22, "text-anchor": "middle", text: String(label).slice(0, 12) }));
    });
    if (o.title) root.append(h("figcaption", { text: o.title }));
    root.append(s, legend(o.series));
    return root;
  }

  let formSeq = 0;
  function form(fields, onSubmit, opts) {
    opts = opts || {};
    const f = h("form", { class: "cx-form" });
    for (const fd of fields) {
      const id = `f${++formSeq}-${fd.name}`;
      let input;
      if (fd.type === "select") input = h("select", { id, name: fd.name }, (fd.options || []).map(o => { const [v, l] = Array.isArray(o) ? o : [o, o]; return h("option", { value: v, selected: String(v) === String(fd.value) || null, text: l }); }));
      else if (fd.type === "textarea") { input = h("textarea", { id, name: fd.name }); input.value = fd.value || ""; }
      else input = h("input", { id, name: fd.name, type: fd.type || "text", value: fd.value ?? "", step: fd.step, min: fd.min, max: fd.max, required: fd.required, placeholder: fd.placeholder, autocomplete: fd.autocomplete || "off" });
      f.append(h("label", { for: id }, fd.label || fd.name, input));
    }
    const btn = h("button", { type: "submit", text: opts.submit || "Submit" });
    f.append(h("div", {}, btn));
    f.addEventListener("submit", async ev => {
      ev.preventDefault();
      const values = {};
      for (const fd of fields) {
        const el = f.elements.namedItem(fd.name); let v = el.value;
        if (fd.type === "number") v = v === "" ? null : Number(v);
        values[fd.name] = v;
      }
      btn.disabled = true;
      try { await onSubmit(values); } catch (e) { if (e.message !== "signed out") notify(e.message, "error"); } finally { btn.disabled = false; }
    });
    return f;
  }

  function page(def) {
    if (!def.id || !def.render) throw new Error("cx.page needs id and render");
    def.section = def.section || "General"; def.roles = def.roles || ["admin", "supervisor", "analyst"]; def.order = def.order ?? 50;
    pages.push(def);
  }

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const [id, query] = raw.split("?");
    return { id: decodeURIComponent(id || ""), params: Object.fromEntries(new URLSearchParams(query || "")) };
  }

  function go(id, params) {
    const q = params ? "?" + new URLSearchParams(params).toString() : "";
    location.hash = `#/${id}${q}`;
  }

  // The navigation's sections in the order a CX team works through them; a page's `order` ranks it within its
  // section. The first listed page a role may see is its landing page (an agent lands on the agent desk).
  const SECTIONS = ["Operations", "Analytics", "Assist", "Knowledge", "Quality", "Workforce", "Actions", "Trust",
    "Prove value", "Automate", "Directory", "Admin"];
  function rank(p) { const i = SECTIONS.indexOf(p.section); return i < 0 ? SECTIONS.length : i; }
  function visible() { return pages.filter(p => state.me && p.roles.includes(state.me.role)); }
  function listed() { return visible().filter(p => !p.hidden).sort((a, b) => rank(a) - rank(b) || a.order - b.order); }

  function renderNav(current) {
    const nav = document.getElementById("nav"); nav.replaceChildren();
    const bySection = {};
    for (const p of listed()) (bySection[p.section] = bySection[p.section] || []).push(p);
    for (const [section, list] of Object.entries(bySection)) {
      nav.append(h("h2", { text: section }));
      for (const p of list) nav.append(h("a", { href: `#/${p.id}`, "aria-current": p.id === current ? "page" : null, text: p.title }));
    }
  }

  async function route() {
    if (!state.me) return;
    const { id, params } = parseHash();
    const list = visible();
    const target = list.find(p => p.id === id) || (id ? null : listed()[0]);
    renderNav(target && target.id);
    const main = document.getElementById("main"); main.replaceChildren();
    if (!target) {
      const known = pages.find(p => p.id === id);
      main.append(h("h1", { text: known ? "Not allowed" : "Page not found" }),
        h("p", { class: "muted", text: known ? `Your role (${state.me.role}) may not see this page.` : `There is no page "${id}".` }));
      return;
    }
    document.title = `${target.title} · cxops`;
    main.append(h("h1", { text: target.title }));
    const backlog = h("div", { "data-testid": "backlog", role: "status" }); main.append(backlog);
    showBacklog(backlog);
    const body = h("div", { class: "page", "data-page": target.id }); main.append(body);
    try { await target.render(body, params); }
    catch (e) { if (e.message !== "signed out") body.append(h("p", { class: "bad", role: "alert", text: `Could not load: ${e.message}` })); }
    main.focus({ preventScroll: true });
  }

  // After a bulk import the derived views (QA scores, documentation, trust ledger, workflow rules) fill in over
  // minutes: say so, rather than let a half-filled page look broken. Roles that may not read it see nothing.
  async function showBacklog(el) {
    if (!["admin", "supervisor", "analyst"].includes(state.me.role)) return;
    let b;
    try { b = await api("/v1/backlog", { noRedirect: true }); } catch (e) { return; }
    if (!b.pending) return;
    const minutes = Math.max(1, Math.round(b.oldest_age_s / 60));
    const LABELS = { qa: "QA scoring", assist: "call documentation", trust: "trust ledger", workflows: "workflow rules",
      knowledge: "knowledge attribution", actions: "governed actions", analytics: "live analytics and alerts" };
    const domains = new Set(b.types.flatMap(t => t.consumers).map(c => c.split(".")[0]));
    const names = Object.keys(LABELS).filter(d => domains.has(d)).map(d => LABELS[d]).join(", ") || "event consumers";
    el.replaceChildren(h("p", { class: "card warn" }, `Working through ${b.pending.toLocaleString()} event(s) in the background ` +
      `(the oldest from ${minutes} min ago; ${names}): figures that depend on them are still filling in.`));
  }

  function showSignIn(message) {
    document.getElementById("nav").replaceChildren();
    document.getElementById("who").textContent = "";
    document.getElementById("signout").hidden = true;
    const main = document.getElementById("main"); main.replaceChildren();
    const box = h("div", { class: "signin card" }, h("h1", { text: "Sign in to cxops" }),
      message ? h("p", { class: "warn", role: "alert", text: message }) : null,
      h("p", { class: "muted", text: "Paste an API key (the demo writes an admin key to .cxops-data/admin-key.txt)." }));
    box.append(form([{ name: "api_key", label: "API key", type: "password", required: true, autocomplete: "current-password" }], async v => {
      state.me = await api("/v1/session", { method: "POST", body: { api_key: v.api_key.trim() }, noRedirect: true });
      await boot();
    }, { submit: "Sign in" }));
    main.append(box);
    const input = box.querySelector("input"); if (input) input.focus();
  }

  async function boot() {
    try { state.me = await api("/v1/me", { noRedirect: true }); }
    catch (e) { showSignIn(); return; }
    document.getElementById("who").textContent = `role: ${state.me.role}`;
    const so = document.getElementById("signout"); so.hidden = false;
    so.onclick = async () => { await api("/v1/session", { method: "DELETE", noRedirect: true }).catch(() => null); state.me = null; location.hash = ""; showSignIn(); };
    await route();
  }

  window.addEventListener("hashchange", route);
  window.cx = { page, api, h, svg, table, kpi, form, notify, go, fmt, chart: { line: lineChart, bar: barChart }, state, boot, palette: PALETTE };
})();
