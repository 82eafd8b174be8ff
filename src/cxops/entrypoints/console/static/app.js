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
    setTimeout(() => t.remove(), kind === "error" ? 8000 : 5000);
  }

  // The one number formatter: thousands separators and sensible decimals (fewer as numbers grow), or exactly
  // `decimals` when given (axis ticks pass their step's). Not-a-number values read "–".
  function num(v, decimals) {
    if (v === null || v === undefined || v === "") return "–";
    const n = Number(v);
    if (!Number.isFinite(n)) return "–";
    if (decimals === undefined || decimals === null) {
      const a = Math.abs(n);
      decimals = Number.isInteger(n) || a >= 1000 ? 0 : a >= 100 ? 1 : 2;
      return n.toLocaleString(undefined, { maximumFractionDigits: decimals });
    }
    return n.toLocaleString(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }
  // A share (0-1) as a percentage: pct(0.784) = "78%", pct(0.784, 1) = "78.4%".
  function pct(v, decimals) {
    if (v === null || v === undefined || !Number.isFinite(Number(v))) return "–";
    return `${num(100 * Number(v), decimals || 0)}%`;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") return num(v);
    return String(v);
  }

  // The text of an API error, every field error included: "Intervals ahead: must be at least 1; ...".
  function errorText(e) {
    const list = apiErrors(e);
    if (list.length > 1 || (list.length === 1 && list[0].path)) return list.map(x => (x.path ? `${humanPath(x.path)}: ` : "") + humanMessage(x.message)).join("; ");
    return e && e.message ? e.message : String(e);
  }
  function apiErrors(e) {
    const d = (e && e.detail) || {};
    if (Array.isArray(d.details) && d.details.length && d.details.every(x => x && typeof x.message === "string"))
      return d.details.map(x => ({ path: x.field && x.field !== "body" ? String(x.field) : null, message: x.message }));
    if (d.field) return [{ path: String(d.field), message: d.message || e.message }];
    return [{ path: null, message: (e && e.message) || "request failed" }];
  }
  function humanPath(path) { return String(path).replace(/\.(\d+)(?=\.|$)/g, "[$1]").replace(/_/g, " "); }
  function humanMessage(m) {
    m = String(m || "").replace(/^Value error, /, "");
    if (/^Field required$/i.test(m) || /^String should have at least 1 character/.test(m)) return "required";
    return m.replace(/^Input should be /, "must be ").replace(/^String should /, "must ")
      .replace(/greater than or equal to/, "at least").replace(/less than or equal to/, "at most");
  }

  // Run a click handler that calls the API: the button is disabled while it runs, and a failure is shown
  // (a toast, and a message next to the button) instead of being lost. Use as onclick: cx.act(async ev => ...).
  function act(fn) {
    return async ev => {
      const btn = ev && ev.currentTarget instanceof Element ? ev.currentTarget : null;
      if (btn) {
        if (btn.disabled) return;
        btn.disabled = true; btn.setAttribute("aria-busy", "true");
        const old = btn.nextElementSibling;
        if (old && old.classList.contains("action-error")) old.remove();
      }
      try { return await fn(ev); }
      catch (e) {
        if (e && e.message === "signed out") return;
        const what = btn ? btn.textContent.trim() : "Action";
        const text = `${what} failed: ${errorText(e)}`;
        notify(text, "error");
        if (btn && btn.isConnected) btn.after(h("span", { class: "action-error bad", role: "alert", text }));
      } finally {
        if (btn) { btn.disabled = false; btn.removeAttribute("aria-busy"); }
      }
    };
  }
  function button(text, fn, attrs) { return h("button", Object.assign({ type: "button" }, attrs || {}, { text, onclick: act(fn) })); }

  // An id nobody reads: its last 8 characters, the whole id as the tooltip (for support). Other references as given.
  const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  function shortId(v) {
    if (v === null || v === undefined || v === "") return "–";
    return UUID_RE.test(String(v)) ? h("code", { title: String(v), text: "…" + String(v).slice(-8) }) : String(v);
  }
  // A display name with the reference it stands for kept as its tooltip, and `secondary` as small muted text.
  function named(name, ref, secondary) {
    if (!name) return shortId(ref);
    return h("span", { class: "named", title: ref || null }, name, secondary ? h("small", { class: "muted", text: ` ${secondary}` }) : null);
  }
  // Display names for the references other read models carry (customers by id or external id, agents by id or
  // code), in one call to the directory. Roles that may not read the directory (agents), and failures, get the
  // references themselves. Returns {customer(ref), agent(ref)} (cells: the name, the reference as tooltip) and
  // {customerName(ref), agentName(ref)} (text).
  async function names(refs) {
    const uniq = xs => [...new Set((xs || []).filter(x => x !== null && x !== undefined && x !== "").map(String))].slice(0, 500);
    const body = { customers: uniq(refs.customers), agents: uniq(refs.agents) };
    let found = { customers: {}, agents: {} };
    if ((body.customers.length || body.agents.length) && state.me && ["admin", "supervisor", "analyst"].includes(state.me.role))
      found = await api("/v1/directory/names", { method: "POST", body, noRedirect: true }).catch(() => found);
    const c = ref => (ref ? found.customers[ref] : null), a = ref => (ref ? found.agents[ref] : null);
    const ext = x => (x.external_ids[0] || "").replace(/^[^:]*:/, "");
    return {
      customer: ref => { const x = c(ref); return x ? named(x.display_name || ext(x) || null, ref, x.display_name ? ext(x) : null) : shortId(ref); },
      agent: ref => { const x = a(ref); return x ? named(x.name, ref, x.code !== ref && x.code !== x.name ? x.code : null) : shortId(ref); },
      customerName: ref => { const x = c(ref); return x ? x.display_name || ext(x) || ref : ref; },
      agentName: ref => { const x = a(ref); return x ? x.name : ref; },
    };
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

  function scale(d0, d1, r0, r1) {
    if (d1 === d0) return () => (r0 + r1) / 2;  // one value: in the middle
    return v => r0 + (v - d0) / (d1 - d0) * (r1 - r0);
  }
  // "Nice" ticks covering [min, max]: steps of 1, 2, 2.5 or 5 x 10^k (at least `minStep`: 1 for counts), with
  // the decimals that step needs.
  function niceTicks(min, max, n, minStep) {
    if (!(max > min)) { const pad = Math.abs(min) * 0.1 || 1; min = min >= 0 && min - pad < 0 ? 0 : min - pad; max = max + pad; }
    const raw = (max - min) / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
    const step = Math.max(minStep || 0, (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag);
    const text = String(Number(step.toPrecision(3)));
    const decimals = text.includes("e") ? 6 : text.includes(".") ? text.split(".")[1].length : 0;
    const lo = Math.floor(min / step + 1e-9) * step, hi = Math.ceil(max / step - 1e-9) * step;
    const values = [];
    for (let i = 0; lo + i * step <= hi + step / 2; i++) values.push(Number((lo + i * step).toFixed(decimals)));
    return { values, decimals, min: values[0], max: values[values.length - 1] };
  }
  function xval(x) { return typeof x === "string" ? Date.parse(x) : x; }
  const DAY = 86400e3;
  // Time-axis ticks (UTC, like the API): the points themselves when there are few; every m-th point of a series
  // of days or weeks; else midnights (a span of days) or round hours. Labelled by date when the points are days
  // apart or at midnight, else by date and time.
  function timeTicks(xs, n) {
    const distinct = [...new Set(xs)].sort((a, b) => a - b);
    const x0 = distinct[0], x1 = distinct[distinct.length - 1], span = x1 - x0;
    let gap = Infinity;
    for (let i = 1; i < distinct.length; i++) gap = Math.min(gap, distinct[i] - distinct[i - 1]);
    const daily = span >= 3 * DAY || distinct.every(x => x % DAY === 0);
    const label = t => { const iso = new Date(t).toISOString(); return daily ? (span >= 300 * DAY ? iso.slice(0, 10) : iso.slice(5, 10)) : iso.slice(5, 16).replace("T", " "); };
    let at = [];
    if (distinct.length <= n + 1) at = distinct;
    else if (gap >= DAY) { const m = Math.ceil(distinct.length / (n + 1)); at = distinct.filter((_, i) => i % m === 0); }
    else {
      const hour = 3600e3, want = span / n;
      const step = daily ? Math.max(1, Math.ceil(want / DAY)) * DAY : ([1, 2, 3, 4, 6, 12].find(k => k * hour >= want) || 24) * hour;
      for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) at.push(t);
      if (!at.length) at = [x0];
    }
    const seen = new Set();
    return at.filter(t => { const l = label(t); if (seen.has(l)) return false; seen.add(l); return true; }).map(t => [t, label(t)]);
  }

  function lineChart(o) {
    const W = o.width || 720, H = o.height || 220, P = { l: 56, r: 16, t: 10, b: 28 };
    const pts = o.series.flatMap(s => s.points);
    const root = h("figure", { class: "card chart", role: "img", "aria-label": o.title || o.yLabel || "chart" });
    const ys = pts.map(p => p[1]).filter(v => v !== null && v !== undefined && Number.isFinite(Number(v)));
    if (!pts.length || !ys.length) { if (o.title) root.append(h("figcaption", { text: o.title })); root.append(h("p", { class: "muted", text: "No data yet." })); return root; }
    const xs = pts.map(p => xval(p[0]));
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const yt = niceTicks(Math.min(0, ...ys), Math.max(...ys), 4, ys.every(Number.isInteger) ? 1 : 0);
    const sx = scale(x0, x1, P.l, W - P.r), sy = scale(yt.min, yt.max, H - P.b, P.t);
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart" });
    for (const t of yt.values) {
      s.append(svg("line", { x1: P.l, x2: W - P.r, y1: sy(t), y2: sy(t), stroke: "#e5e8ec" }));
      s.append(svg("text", { x: P.l - 6, y: sy(t) + 4, "text-anchor": "end", text: num(t, yt.decimals) }));
    }
    const isTime = typeof pts[0][0] === "string";
    if (isTime) {
      for (const [t, label] of timeTicks(xs, 5)) s.append(svg("text", { x: sx(t), y: H - 8, "text-anchor": "middle", class: "x-tick", text: label }));
    } else {
      const xt = x0 === x1 ? { values: [x0], decimals: niceTicks(x0, x1, 5).decimals } : niceTicks(x0, x1, 5);
      for (const t of xt.values) if (t >= x0 && t <= x1) s.append(svg("text", { x: sx(t), y: H - 8, "text-anchor": "middle", class: "x-tick", text: num(t, xt.decimals) }));
    }
    o.series.forEach((ser, i) => {
      const color = ser.color || PALETTE[i % PALETTE.length];
      if (ser.band) {
        const up = ser.band.map(p => `${sx(xval(p[0]))},${sy(p[2])}`), lo = ser.band.map(p => `${sx(xval(p[0]))},${sy(p[1])}`).reverse();
        s.append(svg("polygon", { points: up.concat(lo).join(" "), fill: color, opacity: 0.15 }));
      }
      // A gap (null) breaks the line; a point with no neighbour on either side is drawn as a dot.
      let d = "", pen = false;
      const has = j => j >= 0 && j < ser.points.length && ser.points[j][1] !== null && ser.points[j][1] !== undefined;
      ser.points.forEach((p, j) => {
        if (!has(j)) { pen = false; return; }
        const x = sx(xval(p[0])), y = sy(p[1]);
        d += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`; pen = true;
        if (!has(j - 1) && !has(j + 1)) s.append(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 4, fill: color, class: "point" }, svg("title", { text: `${ser.name}: ${num(p[1])}` })));
      });
      if (d) s.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": ser.dashed ? "5 4" : null }, svg("title", { text: ser.name })));
    });
    if (o.title) root.append(h("figcaption", { text: o.title }));
    root.append(s, legend(o.series));
    return root;
  }

  function barChart(o) {
    const W = o.width || 720, H = o.height || 220, P = { l: 56, r: 12, t: 10, b: 40 };
    const root = h("figure", { class: "card chart", role: "img", "aria-label": o.title || "bar chart" });
    if (!o.labels.length) { root.append(h("p", { class: "muted", text: "No data yet." })); return root; }
    const stacked = !!o.stacked;
    const totals = o.labels.map((_, i) => stacked ? o.series.reduce((a, s) => a + (s.values[i] || 0), 0) : Math.max(...o.series.map(s => s.values[i] || 0)));
    const yt = niceTicks(0, Math.max(...totals) || 1, 4, totals.every(Number.isInteger) ? 1 : 0), sy = scale(0, yt.max, H - P.b, P.t);
    const bw = (W - P.l - P.r) / o.labels.length, inner = stacked ? bw * 0.7 : bw * 0.8 / o.series.length;
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart" });
    for (const t of yt.values) {
      s.append(svg("line", { x1: P.l, x2: W - P.r, y1: sy(t), y2: sy(t), stroke: "#e5e8ec" }));
      s.append(svg("text", { x: P.l - 6, y: sy(t) + 4, "text-anchor": "end", text: num(t, yt.decimals) }));
    }
    const every = Math.ceil(o.labels.length / 14);
    o.labels.forEach((label, i) => {
      let base = 0;
      o.series.forEach((ser, k) => {
        const v = ser.values[i] || 0, color = ser.color || PALETTE[k % PALETTE.length];
        const x = P.l + i * bw + (stacked ? bw * 0.15 : bw * 0.1 + k * inner);
        const yTop = sy(stacked ? base + v : v), yBot = sy(stacked ? base : 0);
        s.append(svg("rect", { x, y: yTop, width: Math.max(1, inner - 1), height: Math.max(0, yBot - yTop), fill: color }, svg("title", { text: `${ser.name} · ${label}: ${num(v)}` })));
        if (stacked) base += v;
      });
      if (i % every === 0) s.append(svg("text", { x: P.l + i * bw + bw / 2, y: H - 22, "text-anchor": "middle", text: String(label).slice(0, 12) }));
    });
    if (o.title) root.append(h("figcaption", { text: o.title }));
    root.append(s, legend(o.series));
    return root;
  }

  // A form from field specs {name, label, type, value, options, required, min, max, step, integer, pattern,
  // patternHint, placeholder, apiField, validate(value, values)}. Number inputs take any decimal unless `integer`
  // (or an explicit `step`) is given. On submit the fields are checked (required, numbers, ranges, `validate`),
  // then `onSubmit(values)` runs; every error it throws is shown: an API validation error's field paths
  // ("targets.threshold_s", "automation_delta.refund") are matched to the fields (by name, by the path's last
  // part or its first, or by `apiField`), each shown next to its field under the form's label, with a summary.
  let formSeq = 0;
  function form(fields, onSubmit, opts) {
    opts = opts || {};
    const f = h("form", { class: "cx-form", novalidate: true });
    const entries = [];
    for (const fd of fields) {
      const id = `f${++formSeq}-${fd.name}`;
      const err = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
      const common = { id, name: fd.name, required: fd.required, "aria-required": fd.required ? "true" : null, "aria-describedby": err.id };
      let input;
      if (fd.type === "select") input = h("select", common, (fd.options || []).map(o => { const [v, l] = Array.isArray(o) ? o : [o, o]; return h("option", { value: v, selected: String(v) === String(fd.value) || null, text: l }); }));
      else if (fd.type === "textarea") { input = h("textarea", common); input.value = fd.value || ""; }
      else {
        const step = fd.type === "number" ? (fd.step ?? (fd.integer ? 1 : "any")) : fd.step;
        input = h("input", Object.assign(common, { type: fd.type || "text", value: fd.value ?? "", step, min: fd.min, max: fd.max, pattern: fd.pattern,
          inputmode: fd.type === "number" ? (fd.integer ? "numeric" : "decimal") : null, placeholder: fd.placeholder, autocomplete: fd.autocomplete || "off" }));
      }
      entries.push({ fd, input, err, label: fd.label || fd.name });
      f.append(h("div", { class: "field" }, h("label", { for: id }, fd.label || fd.name, input), err));
    }
    const summary = h("div", { class: "form-errors", role: "alert", "data-testid": "form-errors", hidden: true });
    const btn = h("button", { type: "submit", text: opts.submit || "Submit" });
    f.append(summary, h("div", {}, btn));

    const clear = () => {
      summary.hidden = true; summary.replaceChildren();
      for (const en of entries) { en.err.hidden = true; en.err.textContent = ""; en.input.removeAttribute("aria-invalid"); }
    };
    // errors: [{entry|null, message}]
    const show = errors => {
      const byEntry = new Map(), general = [];
      for (const x of errors) {
        if (x.entry) byEntry.set(x.entry, (byEntry.get(x.entry) || []).concat(x.message));
        else general.push(x.message);
      }
      for (const [en, msgs] of byEntry) { en.err.textContent = msgs.join("; "); en.err.hidden = false; en.input.setAttribute("aria-invalid", "true"); }
      const items = [...entries.filter(en => byEntry.has(en)).map(en => `${en.label}: ${byEntry.get(en).join("; ")}`), ...general];
      summary.replaceChildren(items.length === 1 && !byEntry.size ? h("p", { text: items[0] })
        : h("div", {}, h("p", { text: byEntry.size ? `Please correct ${byEntry.size === 1 ? "this field" : `these ${byEntry.size} fields`}:` : "The request failed:" }),
          h("ul", {}, items.map(t => h("li", { text: t })))));
      summary.hidden = false;
      const first = entries.find(en => byEntry.has(en));
      if (first) first.input.focus();
    };
    // An API field path to the field it is about: the field's name or one of its `apiField`s ("a.*" for "a."
    // and below) exactly, then a field named by the path's start, its last part, or any part.
    const matchField = path => {
      if (!path) return null;
      const own = en => [].concat(en.fd.apiField || []), names = en => [en.fd.name].concat(own(en).filter(n => !n.endsWith(".*")));
      const segs = path.split(".");
      return entries.find(en => names(en).includes(path) || own(en).some(n => n.endsWith(".*") && path.startsWith(n.slice(0, -1)))) ||
        entries.find(en => names(en).some(n => path.startsWith(n + "."))) ||
        entries.find(en => names(en).some(n => path.endsWith("." + n))) ||
        entries.find(en => names(en).some(n => segs.includes(n))) || null;
    };
    const check = values => {
      const out = [];
      for (const en of entries) {
        const { fd, input } = en, v = input.validity, raw = input.value;
        let m = null;
        if (v.badInput) m = "must be a number";
        else if (v.valueMissing || (fd.required && String(raw).trim() === "")) m = "required";
        else if (v.rangeUnderflow) m = `must be at least ${fd.min}`;
        else if (v.rangeOverflow) m = `must be at most ${fd.max}`;
        else if (v.stepMismatch) m = fd.integer || String(input.step) === "1" ? "must be a whole number" : `must be a multiple of ${input.step}`;
        else if (v.patternMismatch) m = fd.patternHint || "has an invalid format";
        else if (v.typeMismatch) m = "is not valid";
        else if (fd.validate) m = fd.validate(values[fd.name], values) || null;
        if (m) out.push({ entry: en, message: m });
      }
      return out;
    };
    f.addEventListener("submit", async ev => {
      ev.preventDefault();
      if (btn.disabled) return;
      clear();
      const values = {};
      for (const { fd, input } of entries) {
        let v = input.value;
        if (fd.type === "number") v = v === "" ? null : Number(v);
        values[fd.name] = v;
      }
      const problems = check(values);
      if (problems.length) { show(problems); return; }
      btn.disabled = true; btn.setAttribute("aria-busy", "true");
      try { await onSubmit(values); }
      catch (e) {
        if (e && e.message === "signed out") return;
        show(apiErrors(e).map(x => {
          const entry = matchField(x.path);
          const message = humanMessage(x.message);
          return { entry, message: entry || !x.path ? message : `${humanPath(x.path)}: ${message}` };
        }));
      } finally { btn.disabled = false; btn.removeAttribute("aria-busy"); }
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

  function setMenu(open) {
    document.getElementById("nav").classList.toggle("open", open);
    const m = document.getElementById("menu"); if (m) m.setAttribute("aria-expanded", String(open));
  }

  async function route() {
    if (!state.me) return;
    setMenu(false);
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
    const menu = document.getElementById("menu"); if (menu) menu.hidden = true;
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
    const menu = document.getElementById("menu");
    if (menu) { menu.hidden = false; menu.onclick = () => setMenu(!document.getElementById("nav").classList.contains("open")); }
    so.onclick = async () => { await api("/v1/session", { method: "DELETE", noRedirect: true }).catch(() => null); state.me = null; location.hash = ""; showSignIn(); };
    await route();
  }

  window.addEventListener("hashchange", route);
  window.cx = { page, api, h, svg, table, kpi, form, notify, go, fmt, num, pct, act, button, names, named, shortId, errorText, chart: { line: lineChart, bar: barChart }, state, boot, palette: PALETTE };
})();
