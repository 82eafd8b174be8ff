/* Workforce pages: forecast vs actual, staffing with what-if, schedule requirement vs scheduled. */
(function () {
  "use strict";
  const { h, api, table, kpi, chart, form, notify } = window.cx;
  const PLANNERS = ["admin", "supervisor", "analyst"];
  const round = (v, d = 1) => cx.num(v, d);
  // The server's bounds the form helper cannot say with min/max (exclusive ones), with the server's words.
  const below1 = v => (v !== null && v >= 1 ? "must be less than 1" : null);
  const positive = v => (v !== null && v <= 0 ? `answered within ${v} s is meaningless: give at least 1 second` : null);
  const hms = s => (s >= 3600 && s % 3600 === 0 ? `${s / 3600} h` : s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${round(s, 0)} s`);
  const targetText = t => `${round(100 * t.service_level, 0)}% in ${hms(t.threshold_s)}`;
  // What a plan staffed to: each series' own target (summary) or, for older plans, the request's one target.
  const planTargets = r => {
    const own = [...new Set(Object.values(r.summary || {}).filter(v => v.targets).map(v => targetText(v.targets)))];
    if (own.length) return own.join(", ");
    const t = r.params.targets || {};
    return t.service_level == null ? "queue targets" : targetText(t);
  };
  const link = (page, id, text) => h("a", { href: `#/${page}?id=${encodeURIComponent(id)}`, text });

  // Ids are time-ordered (UUIDv7): runs made together share their first characters, so show the last ones.
  const shortId = v => h("code", { title: v, text: v.slice(-8) });
  const days = r => `${round((r.horizon * r.freq_min) / 1440, 1)} days`;
  const forecastLabel = r => `${r.created_at.slice(0, 16).replace("T", " ")} · ${r.metric} · ${r.freq_min} min · ${days(r)}`;
  const COLUMNS = {
    "wfm-forecast": [
      { key: "metric", label: "Metric" }, { key: "freq_min", label: "Interval", format: v => `${v} min` },
      { key: "horizon", label: "Ahead", format: (v, r) => days(r) },
      { key: "choices", label: "Series", format: v => Object.keys(v || {}).join(", ") },
    ],
    "wfm-staffing": [
      { key: "params", label: "Target", format: (v, r) => planTargets(r) },
      { key: "params", label: "Shrinkage", format: v => `${round(100 * (v.targets.shrinkage || 0), 0)}%` },
      { key: "params", label: "Model", format: v => `${v.model}${v.apply_automation ? ", AI-aware" : ""}` },
      { key: "summary", label: "Agent-hours", format: v => round(Object.values(v || {}).reduce((a, s) => a + (s.agent_hours || 0), 0), 0) },
    ],
    "wfm-schedule": [
      { key: "week_start", label: "Week of", format: v => v.slice(0, 10) }, { key: "status", label: "Status" },
      { key: "cost", label: "Paid hours", format: v => round(v, 0) }, { key: "gap_ratio", label: "Gap to bound", format: v => `${round(100 * v, 2)}%` },
    ],
  };

  function runList(el, page, rows, label) {
    if (!rows.length) { el.append(h("p", { class: "muted", text: `No ${label} yet.` })); return; }
    el.append(table([
      { key: "created_at", label: "Created", format: (v, r) => link(page, r.id, v.slice(0, 16).replace("T", " ")) },
      ...(COLUMNS[page] || []),
      { key: "id", label: "Id", format: shortId },
    ], rows));
  }

  cx.page({ id: "wfm-forecast", title: "Forecast", section: "Workforce", order: 40, roles: PLANNERS, async render(el, params) {
    el.append(h("h3", { text: "New forecast from interactions" }));
    el.append(form([
      { name: "metric", label: "Metric", type: "select", value: "volume", options: ["volume", "aht"] },
      { name: "freq_min", label: "Interval (minutes)", type: "select", value: "30", options: ["15", "30", "60"] },
      { name: "horizon", label: "Intervals ahead", type: "number", integer: true, min: 1, max: 20000, required: true, value: 336 },
    ], async v => {
      const run = await api("/v1/wfm/forecasts", { method: "POST", body: { metric: v.metric, freq_min: Number(v.freq_min), horizon: v.horizon } });
      notify("Forecast stored", "ok");
      cx.go("wfm-forecast", { id: run.id });
    }, { submit: "Forecast" }));
    if (!params.id) { runList(el, "wfm-forecast", await api("/v1/wfm/forecasts?limit=20"), "forecast runs"); return; }
    const run = await api(`/v1/wfm/forecasts/${encodeURIComponent(params.id)}`);
    const series = Object.keys(run.choices);
    const sid = params.series && series.includes(params.series) ? params.series : series[0];
    el.append(h("div", { class: "row" }, series.map(s => h("button", { class: s === sid ? "" : "secondary", text: s, onclick: () => cx.go("wfm-forecast", { id: run.id, series: s }) }))));
    const c = run.choices[sid];
    el.append(h("div", { class: "grid" }, kpi("Model", c.model, c.fallback ? "fallback: history too short" : `chosen over ${c.origins} weekly origins`),
      ...Object.entries(c.mase).map(([m, v]) => kpi(`MASE ${m}`, round(v, 3), "rolling-origin backtest, lower is better"))));
    if (c.notes.length) el.append(h("ul", { class: "muted" }, c.notes.map(n => h("li", { text: n }))));
    const pts = run.points.filter(p => p.series_id === sid);
    const act = run.actuals.filter(a => a.series_id === sid);
    el.append(chart.line({ title: `${sid}: forecast vs actual (${run.metric})`, xLabel: "time", yLabel: run.metric, height: 320, series: [
      { name: "actual", points: act.map(a => [a.ts, a.y]) },
      { name: "forecast", points: pts.map(p => [p.ts, p.yhat]) },
      { name: "80% low", points: pts.map(p => [p.ts, p.lo_80]) },
      { name: "80% high", points: pts.map(p => [p.ts, p.hi_80]) },
    ] }));
    el.append(run.metric === "volume"
      ? h("p", {}, h("a", { href: `#/wfm-staffing?forecast=${encodeURIComponent(run.id)}`, text: "Plan staffing for this forecast →" }))
      : h("p", { class: "muted", text: "Staffing plans are made from a volume forecast (this one forecasts handle time)." }));
  } });

  cx.page({ id: "wfm-staffing", title: "Staffing", section: "Workforce", order: 41, roles: PLANNERS, async render(el, params) {
    if (!params.id) {
      const runs = (await api("/v1/wfm/forecasts?limit=20")).filter(r => r.metric === "volume");
      // "Plan staffing for this forecast" links here with ?forecast=<run id>: preselect it (even if older than the list).
      if (params.forecast && !runs.some(r => r.id === params.forecast)) {
        const chosen = await api(`/v1/wfm/forecasts/${encodeURIComponent(params.forecast)}`).catch(() => null);
        if (chosen && chosen.metric === "volume") runs.unshift(chosen);
      }
      el.append(h("h3", { text: "New staffing plan" }));
      if (!runs.length) el.append(h("p", { class: "muted" }, "No volume forecast yet: ", h("a", { href: "#/wfm-forecast", text: "make one first" }), "."));
      else el.append(form([
        { name: "forecast_run_id", label: "Forecast run", type: "select", value: params.forecast || "", options: runs.map(r => [r.id, forecastLabel(r)]) },
        { name: "service_level", label: "Service level, all queues (0 to below 1; blank = each queue's)", type: "number", min: 0, max: 1, value: "", placeholder: "each queue's", validate: below1 },
        { name: "threshold_s", label: "Answered within (s), all queues (blank = each queue's)", type: "number", min: 0, max: 86400, value: "", placeholder: "each queue's", validate: positive },
        { name: "shrinkage", label: "Shrinkage (0 to below 1)", type: "number", min: 0, max: 1, required: true, value: 0.3, validate: below1 },
      ], async v => {
        const targets = { shrinkage: v.shrinkage };
        if (v.service_level !== null) targets.service_level = v.service_level;
        if (v.threshold_s !== null) targets.threshold_s = v.threshold_s;
        const plan = await api("/v1/wfm/staffing", { method: "POST", body: { forecast_run_id: v.forecast_run_id, targets } });
        cx.go("wfm-staffing", { id: plan.id });
      }, { submit: "Staff" }));
      runList(el, "wfm-staffing", await api("/v1/wfm/staffing?limit=20"), "staffing plans");
      return;
    }
    const plan = await api(`/v1/wfm/staffing/${encodeURIComponent(params.id)}`);
    el.append(h("div", { class: "grid" }, Object.entries(plan.summary).map(([s, v]) => kpi(s, `${round(v.agent_hours, 0)} agent-h`,
      `peak ${v.peak_agents}; human ${round(v.human_contacts, 0)} of ${round(v.contacts, 0)} contacts` + (v.targets ? `; ${targetText(v.targets)}${v.targets.method === "deferred" ? " (deferred)" : ""}` : "")))));
    // Each series says which target it was staffed to, where that came from, and how (Erlang C or deferred work).
    el.append(h("details", { "data-testid": "series-notes" }, h("summary", { text: "Targets and notes per queue" }),
      h("ul", {}, Object.entries(plan.summary).map(([s, v]) => h("li", {}, h("strong", { text: `${s}: ` }), (v.notes || []).join("; "))))));
    const byS = {};
    for (const i of plan.intervals) (byS[i.series_id] = byS[i.series_id] || []).push(i);
    el.append(chart.line({ title: "Agents required per interval (with shrinkage)", height: 280, series: Object.entries(byS).map(([s, rows]) => ({ name: s, points: rows.map(r => [r.ts, r.scheduled_agents]) })) }));
    el.append(h("h3", { text: "What if?" }));
    const out = h("div");
    el.append(form([
      { name: "volume_factor", label: "Volume factor (1.2 = +20%)", type: "number", min: 0, max: 10, required: true, value: 1.2 },
      { name: "intent", label: "Intent AI resolves more of", value: "", apiField: "automation_delta",
        validate: (v, all) => (!v.trim() && all.delta ? "required when extra automation is set" : null) },
      { name: "delta", label: "Extra automation (0.10 = +10 points)", type: "number", min: -1, max: 1, value: 0, apiField: "automation_delta.*",
        validate: (v, all) => (all.intent.trim() && !v ? "give the extra automation for this intent" : null) },
      { name: "shrinkage", label: "Shrinkage override (blank = plan's)", type: "number", min: 0, max: 1, value: "", placeholder: "plan's", validate: below1 },
    ], async v => {
      const body = { volume_factor: v.volume_factor };
      if (v.intent.trim() && v.delta) body.automation_delta = { [v.intent.trim()]: v.delta };
      if (v.shrinkage !== null) body.shrinkage = v.shrinkage;
      const res = await api(`/v1/wfm/staffing/${plan.id}/what-if`, { method: "POST", body });
      out.replaceChildren(...Object.entries(res.series).map(([s, r]) => h("section", {},
        h("p", { "data-testid": "what-if-delta", text: `${s}: ${r.agent_hours_delta >= 0 ? "+" : ""}${round(r.agent_hours_delta, 1)} agent-hours` }),
        chart.line({ title: `${s}: plan vs scenario`, height: 220, series: [
          { name: "plan", points: r.intervals.map(i => [i.ts, i.base_agents]) },
          { name: "scenario", points: r.intervals.map(i => [i.ts, i.scenario_agents]) }] }))));
    }, { submit: "Run scenario" }));
    el.append(out);
  } });

  cx.page({ id: "wfm-schedule", title: "Schedule", section: "Workforce", order: 42, roles: PLANNERS, async render(el, params) {
    if (!params.id) { runList(el, "wfm-schedule", await api("/v1/wfm/schedules?limit=20"), "schedules"); return; }
    const s = await api(`/v1/wfm/schedules/${encodeURIComponent(params.id)}`);
    el.append(h("div", { class: "grid" }, kpi("Cost (paid hours)", round(s.cost, 1)), kpi("LP bound", round(s.lp_bound, 1)),
      kpi("Gap to LP bound", `${round(100 * s.gap_ratio, 2)}%`), kpi("Solve time", `${round(s.solve_s, 1)} s`, s.status), kpi("Shifts", s.shifts.length)));
    if (s.notes.length) el.append(h("ul", { class: "muted" }, s.notes.map(n => h("li", { text: n }))));
    const step = s.coverage.freq_min * 60000, t0 = Date.parse(s.week_start);
    const ts = i => new Date(t0 + i * step).toISOString();
    for (const [skill, cov] of Object.entries(s.coverage.skills)) {
      el.append(chart.line({ title: `${skill}: requirement vs scheduled`, height: 240, series: [
        { name: "required", points: cov.required.map((v, i) => [ts(i), v]) },
        { name: "scheduled", points: cov.scheduled.map((v, i) => [ts(i), v]) }] }));
    }
    el.append(h("h3", { text: `Shifts (${Math.min(150, s.shifts.length)} of ${s.shifts.length}, by start)` }));
    el.append(table([
      { key: "agent_code", label: "Agent" }, { key: "agent_group", label: "Group" },
      { key: "starts_at", label: "Start", format: v => v.slice(0, 16).replace("T", " ") },
      { key: "ends_at", label: "End", format: v => v.slice(11, 16) },
      { key: "break_starts_at", label: "Break", format: v => v.slice(11, 16) },
      { key: "paid_hours", label: "Paid h" },
    ], s.shifts.slice(0, 150)));
  } });
})();
