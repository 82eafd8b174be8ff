/* Pilots: plan (power before start), list, report with every look, the gate decision and its reasons, export. */
(function () {
  "use strict";
  const { h, api, table, kpi, form, notify, fmt } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const pct = v => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const signed = v => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} pts`;

  function ciBar(c) {
    // A confidence interval drawn on a symmetric axis around zero.
    const W = 320, H = 26, span = Math.max(Math.abs(c.ci_low), Math.abs(c.ci_high), 0.01) * 1.2;
    const x = v => W / 2 + (v / span) * (W / 2 - 8);
    return cx.svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": `${c.metric} 95% interval ${c.ci_low.toFixed(3)} to ${c.ci_high.toFixed(3)}` },
      cx.svg("line", { x1: W / 2, x2: W / 2, y1: 2, y2: H - 2, stroke: "#999", "stroke-dasharray": "3 3" }),
      cx.svg("line", { x1: x(c.ci_low), x2: x(c.ci_high), y1: H / 2, y2: H / 2, stroke: c.ci_low > 0 ? "#1a7f37" : c.ci_high < 0 ? "#c62828" : "#1f6feb", "stroke-width": 4 }),
      cx.svg("circle", { cx: x(c.diff), cy: H / 2, r: 5, fill: "#10233d" }));
  }

  cx.page({ id: "pilots", title: "Pilots", section: "Prove value", order: 60, roles: READ, async render(el) {
    const pilots = await api("/v1/pilots");
    el.append(h("p", { class: "muted", text: "Randomised holdout by customer, outcomes verified across time, every look recorded so peeking cannot inflate false wins." }));
    el.append(table([
      { key: "name", label: "Pilot", format: (v, r) => h("a", { href: `#/pilot?id=${r.id}`, text: v }) },
      { key: "treatment", label: "Treatment" }, { key: "status", label: "Status" },
      { key: "planned_n_per_arm", label: "Planned n / arm" },
      { key: "decision", label: "Gate", format: v => h("span", { class: "pill " + ({ scale: "ok", stop: "bad", extend: "warn" }[v] || ""), text: v || "–" }) },
    ], pilots));
    if (!["admin", "supervisor"].includes(cx.state.me.role)) return;
    el.append(h("h3", { text: "Plan a new pilot" }));
    const preview = h("div", { "aria-live": "polite" });
    // The server's bounds (exclusive ones the form helper's min/max cannot say) and its start rule, in its words.
    const MAX_START_AHEAD_DAYS = 90;
    const between01 = v => (v === null ? null : v <= 0 ? "must be greater than 0" : v >= 1 ? "must be less than 1" : null);
    const effect = (v, all) => {
      if (v === null) return null;
      if (v <= -1) return "must be greater than -1";
      if (v >= 1) return "must be less than 1";
      if (v === 0) return "mde must not be zero: give the smallest effect worth finding, e.g. 0.05 for +5 points";
      const b = all.baseline_rate;
      return b !== null && b > 0 && b < 1 && !(b + v > 0 && b + v < 1) ? `baseline + effect = ${cx.num(b + v, 3)} must lie strictly between 0 and 1` : null;
    };
    const start = v => {
      const t = Date.parse(`${v}T00:00:00Z`);
      if (Number.isNaN(t)) return "a date as YYYY-MM-DD";
      const ahead = (t - Date.now()) / 86400000;
      return ahead > MAX_START_AHEAD_DAYS ? `is ${Math.round(ahead)} days ahead; a pilot is created at most ${MAX_START_AHEAD_DAYS} days before it starts: check the year` : null;
    };
    const fields = [
      { name: "name", label: "Name", required: true }, { name: "treatment", label: "Treatment", type: "select", options: [["ai_agent", "AI agent"], ["assist", "Agent assist"]] },
      { name: "intents", label: "Intents in scope (comma separated, empty = all)", apiField: ["scope.intents", "scope"] },
      { name: "baseline_rate", label: "Baseline verified resolution (0-1, optional)", type: "number", min: 0, max: 1, placeholder: "measured from the last 28 days of the scope when empty", validate: between01 },
      { name: "mde", label: "Smallest effect worth finding (e.g. 0.05 = +5 pts)", type: "number", min: -1, max: 1, required: true, value: 0.05, validate: effect },
      { name: "holdout_share", label: "Holdout share", type: "number", min: 0.05, max: 0.95, required: true, value: 0.5 },
      { name: "starts_at", label: "Starts (ISO date)", required: true, pattern: "\\d{4}-\\d{2}-\\d{2}", patternHint: "a date as YYYY-MM-DD", value: new Date().toISOString().slice(0, 10), validate: start },
    ];
    const body = v => ({ name: v.name, treatment: v.treatment, baseline_rate: v.baseline_rate, mde: v.mde, holdout_share: v.holdout_share,
      scope: { intents: (v.intents || "").split(",").map(s => s.trim()).filter(Boolean) }, starts_at: `${v.starts_at}T00:00:00Z` });
    el.append(form(fields, async v => {
      const b = body(v);
      const p = await api("/v1/pilots/plan", { method: "POST", body: { baseline_rate: b.baseline_rate, mde: b.mde, holdout_share: b.holdout_share, scope: b.scope } });
      const clustering = `design effect ${p.design_effect.toFixed(2)}` + (p.contacts_per_customer ? ` (${p.contacts_per_customer.toFixed(2)} contacts per customer)` : "");
      preview.replaceChildren(h("div", { class: "card", "data-testid": "plan" },
        h("p", { text: `Needs ${fmt(p.planned_n_per_arm)} verified contacts per arm (${fmt(p.total_n)} in all) for ${(0.85 * 100).toFixed(0)}% power; looks at 25/50/75/100% with boundaries |z| ≥ ${p.boundaries.map(x => x.toFixed(2)).join(", ")}.` }),
        h("p", { text: `Baseline ${pct(p.baseline_rate)} (${p.baseline_source}${p.baseline_measured !== null && p.baseline_source === "given" ? `; measured ${pct(p.baseline_measured)}` : ""}), ${clustering}.` }),
        p.notes.length ? h("ul", {}, p.notes.map(n => h("li", { class: "muted", text: n }))) : null));
      const created = await api("/v1/pilots", { method: "POST", body: b });
      notify(`Pilot "${created.name}" created as a draft: ${fmt(created.planned_n_per_arm)} contacts per arm, ${clustering}`);
      cx.go("pilot", { id: created.id });
    }, { submit: "Plan and create" }), preview);
  } });

  cx.page({ id: "pilot", title: "Pilot report", section: "Prove value", order: 61, roles: READ, hidden: true, async render(el, params) {
    const p = await api(`/v1/pilots/${encodeURIComponent(params.id)}`);
    const looks = await api(`/v1/pilots/${encodeURIComponent(params.id)}/looks`);
    el.append(h("h3", { text: p.name }));
    if (p.hypothesis) el.append(h("p", { text: p.hypothesis }));
    el.append(h("div", { class: "grid" }, kpi("Status", p.status), kpi("Treatment", p.treatment), kpi("Holdout", pct(p.holdout_share)),
      kpi("Planned n / arm", p.planned_n_per_arm), kpi("Gate", p.decision || "no look yet"), kpi("Looks taken", looks.length)));
    if (p.plan) el.append(h("p", { class: "muted", "data-testid": "plan" }, `Planned from ${fmt(p.plan.history_contacts)} contacts of ` +
      `${fmt(p.plan.history_customers)} customers before the start: baseline ${pct(p.plan.baseline_rate)} (${p.plan.baseline_source}), ` +
      `design effect ${p.plan.design_effect.toFixed(2)}` + (p.plan.icc === null ? "" : ` (intra-customer correlation ${p.plan.icc.toFixed(3)})`) +
      (p.plan.notes.length ? `; ${p.plan.notes.join("; ")}` : "")));
    const actions = h("div", { class: "row" });
    const canManage = ["admin", "supervisor"].includes(cx.state.me.role);
    const post = what => async () => { await api(`/v1/pilots/${p.id}/${what}`, { method: "POST" }); cx.go("pilot", { id: p.id, t: Date.now() }); };
    if (canManage && p.status === "draft") actions.append(cx.button("Start pilot", post("start")));
    if (p.status !== "draft") actions.append(cx.button("Take a look now", post("looks")));
    if (canManage && p.status === "running") actions.append(cx.button("Stop pilot", post("stop"), { class: "secondary" }));
    actions.append(h("a", { class: "btn", href: `/v1/pilots/${p.id}/export?format=csv`, text: "Export CSV" }));
    el.append(actions);
    if (!looks.length) { el.append(h("p", { class: "muted", text: "No look yet. Each look is recorded and spends part of the error budget." })); return; }
    const last = looks[looks.length - 1].report;
    el.append(h("h3", { text: `Decision at look ${looks.length}: ${looks[looks.length - 1].decision}` }),
      h("ul", { "data-testid": "reasons" }, last.reasons.map(r => h("li", { text: r }))));
    const rows = [last.primary, ...last.guardrails].map(c => Object.assign({}, c, { interval: c }));
    el.append(table([{ key: "metric", label: "Metric" }, { key: "treatment", label: "Treatment", format: v => fmt(Math.round(v * 10000) / 10000) },
      { key: "control", label: "Control", format: v => fmt(Math.round(v * 10000) / 10000) }, { key: "diff", label: "Difference", format: (v, r) => r.metric.includes("csat") ? v.toFixed(2) : signed(v) },
      { key: "interval", label: "95% interval", format: ciBar }, { key: "p_value", label: "p", format: v => v.toPrecision(3) }], rows));
    el.append(h("h3", { text: "Every look" }), table([{ key: "seq", label: "#" }, { key: "looked_at", label: "When", format: v => v.slice(0, 16).replace("T", " ") },
      { key: "fraction", label: "Of planned sample", format: pct }, { key: "boundary", label: "Boundary |z|", format: v => v.toFixed(2) }, { key: "decision", label: "Decision" }], looks));
  } });
})();
