/* Analytics pages: operations overview (the single view), drill-down region -> agent, intents and
   opportunities (with discovered topics), and the live wallboard (server-sent events). */
(function () {
  "use strict";
  const { h, api, table, kpi, chart, form, fmt } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const LEVELS = ["region", "location", "team", "agent"];
  const pct = v => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const num = (v, unit) => (v === null || v === undefined ? "–" : `${fmt(Math.round(v * 10) / 10)}${unit || ""}`);
  const money = v => (v === null || v === undefined ? "–" : v.toFixed(2));
  const score = v => (v === null || v === undefined ? "–" : v.toFixed(2)); // CSAT: 2 decimals, as the API and the daily overview
  const stamp = iso => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  const NONE = "(none)";

  // The range line: [since, until) in UTC, and why a day chart shows partial first and last days.
  function rangeLine(body, params) {
    const midnight = iso => iso.slice(11, 19) === "00:00:00";
    const partial = midnight(body.since) && midnight(body.until) ? "" : "; the first and last UTC days are partial";
    const what = params.days ? `the last ${params.days} days up to now` : "the 30 days up to the newest contact";
    return `${stamp(body.since)} to ${stamp(body.until)} UTC (${what}${partial}) · repeat window ${body.params.repeat_days} days`;
  }

  // Repeat-based figures are measurable only for contacts whose repeat window has closed by the newest contact.
  function pendingNote(body) {
    const before = body.params.repeat_measured_before;
    if (!before || Date.parse(before) >= Date.parse(body.until)) return null;
    const from = Date.parse(before) > Date.parse(body.since) ? before : body.since;
    return h("p", { class: "muted", "data-testid": "pending-note", text: `Not yet measurable from ${stamp(from)} UTC: FCR, repeat rate and verified AI resolution need ${body.params.repeat_days} days after a contact to see whether the customer came back, so those contacts are pending (left out either way) and the lines stop there.` });
  }

  function query(params, keep) {
    const q = new URLSearchParams();
    for (const k of keep) if (params[k]) q.set(k, params[k]);
    return q;
  }

  function rangeForm(page, params, extra) {
    const fields = [
      { name: "days", label: "Range", type: "select", value: params.days || "", options: [["", "30 days up to the newest contact"], ["7", "last 7 days"], ["30", "last 30 days"], ["90", "last 90 days"]] },
      { name: "repeat_days", label: "Repeat window (days)", type: "number", min: 1, max: 30, value: params.repeat_days || "7" },
    ].concat(extra || []);
    return form(fields, v => {
      const next = Object.assign({}, params, v);
      for (const k of Object.keys(next)) if (next[k] === "" || next[k] === null) delete next[k];
      cx.go(page, next);
    }, { submit: "Apply" });
  }

  function rangeParams(params) {
    const q = query(params, ["repeat_days", ...LEVELS, "channel", "queue", "intent"]);
    if (params.days) {
      // relative to now; the API defaults to the 30 days up to the newest contact when no range is given
      const until = new Date(); const since = new Date(until.getTime() - Number(params.days) * 86400000);
      q.set("since", since.toISOString()); q.set("until", until.toISOString());
    }
    return q;
  }

  function exportLinks(path, q, what) {
    const links = ["csv", "parquet"].map(f => {
      const p = new URLSearchParams(q); p.set("format", f);
      return h("a", { class: "btn secondary", href: `${path}?${p}`, download: "", text: `Export ${what ? what + " " : ""}${f.toUpperCase()}` });
    });
    return h("div", { class: "row", role: "group", "aria-label": what ? `Export ${what}` : "Export" }, links);
  }

  function notes(body) {
    const items = Object.entries(body.unavailable || {}).map(([m, why]) => h("li", { text: `${m}: ${why}` }))
      .concat((body.notes || []).map(n => h("li", { text: n })));
    return items.length ? h("details", { class: "card" }, h("summary", { text: "About these figures" }), h("ul", {}, items)) : null;
  }

  cx.page({ id: "ops-overview", title: "Operations overview", section: "Analytics", order: 20, roles: READ, async render(el, params) {
    const q = rangeParams(params);
    el.append(rangeForm("ops-overview", params));
    const body = await api(`/v1/analytics/overview?${q}`);
    const k = body.kpis;
    el.append(h("p", { class: "muted", "data-testid": "range", text: rangeLine(body, params) }));
    el.append(h("div", { class: "grid", "data-testid": "kpis" },
      kpi("Contacts", k.volume), kpi("Avg handle time", num(k.aht_s, " s"), "talk + hold + wrap of handled contacts"),
      kpi("Service level", pct(k.service_level), "answered within threshold"), kpi("Abandoned", pct(k.abandon_rate)),
      kpi("First-contact resolution", pct(k.fcr_rate), "no repeat on the intent · closed windows"), kpi("Repeat contacts", pct(k.repeat_rate), "closed windows only"),
      kpi("Transfers", pct(k.transfer_rate)), kpi("Escalations", pct(k.escalation_rate)),
      kpi("AI involved", pct(k.ai_share)), kpi("AI containment", pct(k.containment_rate), "no human needed · every AI contact in range"),
      kpi("Verified AI resolution", pct(k.verified_automation_rate), `closed windows only · ${fmt(k.pending_verification)} AI contacts pending`),
      kpi("CSAT", score(k.csat), `1-5 · ${pct(k.survey_response_rate)} responded`), kpi("Sentiment shift", num(k.sentiment_shift), "start → end"),
      kpi("Cost per contact", money(k.cost_per_contact)),
      kpi("QA score", num(k.qa_score), body.unavailable.qa_score ? "not available" : "0-100"),
      kpi("Trust index", num(k.trust_index), body.unavailable.trust_index ? "not available" : "0-100 · not automation-averse")));
    const t = body.trend;
    el.append(chart.line({ title: "Contacts per day", yLabel: "contacts", series: [{ name: "contacts", points: t.map(r => [r.bucket, r.volume]) }] }));
    el.append(chart.line({ title: "AI: containment vs verified resolution (%)", series: [
      { name: "containment", points: t.map(r => [r.bucket, r.containment_rate === null ? null : r.containment_rate * 100]) },
      { name: "verified resolution", points: t.map(r => [r.bucket, r.verified_automation_rate === null ? null : r.verified_automation_rate * 100]), dashed: true },
      { name: "repeat rate", points: t.map(r => [r.bucket, r.repeat_rate === null ? null : r.repeat_rate * 100]) }] }), pendingNote(body));
    el.append(chart.bar({ title: "Contacts by channel", labels: body.by_channel.map(r => r.channel), series: [{ name: "contacts", values: body.by_channel.map(r => r.volume) }] }));
    el.append(h("h2", { text: "Human and AI" }), table([
      { key: "agent_kind", label: "Primary agent" }, { key: "volume", label: "Contacts" }, { key: "aht_s", label: "AHT (s)" },
      { key: "fcr_rate", label: "FCR", format: pct }, { key: "csat", label: "CSAT", format: score }, { key: "trust_index", label: "Trust index", format: v => num(v) },
      { key: "cost_per_contact", label: "Cost/contact", format: money }], body.by_agent_kind));
    const byKind = new URLSearchParams(q); byKind.set("table", "by_agent_kind");
    el.append(exportLinks("/v1/analytics/overview", byKind, "human and AI"));
    el.append(exportLinks("/v1/analytics/overview", q), notes(body));
  } });

  cx.page({ id: "ops-drill", title: "Drill-down", section: "Analytics", order: 21, roles: READ, async render(el, params) {
    const q = rangeParams(params);
    el.append(rangeForm("ops-drill", params));
    const body = await api(`/v1/analytics/drilldown?${q}`);
    el.append(h("p", { class: "muted", "data-testid": "range", text: rangeLine(body, params) }));
    const crumbs = [h("a", { href: "#/ops-drill", text: "All regions" })];
    const path = {};
    for (const step of body.path) {
      path[step.level] = step.value;
      crumbs.push(" › ", h("a", { href: `#/ops-drill?${new URLSearchParams(Object.assign({}, path))}`, text: `${step.level}: ${step.value}` }));
    }
    el.append(h("nav", { class: "row", "aria-label": "Breadcrumb" }, crumbs));
    const level = body.level, deeper = level !== "agent", unassigned = body.unassigned;
    const TOTAL = "\u0000total";  // the totals row's key: no code can be it
    // (none): contacts with no value at this level, mostly abandoned before reaching an agent (no team, no region)
    const noneCell = () => h("span", { class: "muted", title: unassigned ? unassigned.note : `contacts with no ${level}`, "data-testid": "unassigned", text: unassigned ? unassigned.label : `no ${level}` });
    const nameCell = v => v === TOTAL ? h("strong", { text: "All contacts" }) : v === NONE ? noneCell()
      : deeper ? h("a", { href: `#/ops-drill?${new URLSearchParams(Object.assign({}, params, path, { [level]: v }))}`, text: v }) : v;
    const rows = body.rows.concat(body.totals ? [Object.assign({}, body.totals, { [level]: TOTAL })] : []);
    el.append(h("h2", { text: `By ${level}` }));
    el.append(table([{ key: level, label: level[0].toUpperCase() + level.slice(1), format: nameCell },
      { key: "volume", label: "Contacts" }, { key: "aht_s", label: "AHT (s)" }, { key: "service_level", label: "Service level", format: pct },
      { key: "fcr_rate", label: "FCR", format: pct }, { key: "repeat_rate", label: "Repeat", format: pct },
      { key: "containment_rate", label: "AI containment (all AI)", format: pct }, { key: "verified_automation_rate", label: "Verified AI (closed windows)", format: pct },
      { key: "csat", label: "CSAT", format: score }, { key: "trust_index", label: "Trust index", format: v => num(v) },
      { key: "cost_per_contact", label: "Cost/contact", format: money }], rows));
    if (unassigned) el.append(h("p", { class: "muted", "data-testid": "unassigned-note", text: `“${unassigned.label}”: ${unassigned.note.replace(/^\(none\) = /, "")}.` }));
    el.append(chart.bar({ title: `Contacts by ${level}`, labels: body.rows.map(r => r[level] === NONE ? `no ${level}` : r[level]), series: [{ name: "contacts", values: body.rows.map(r => r.volume) }] }));
    el.append(exportLinks("/v1/analytics/drilldown", q), notes(body));
  } });

  cx.page({ id: "ops-intents", title: "Intents & opportunities", section: "Analytics", order: 22, roles: READ, async render(el, params) {
    const q = rangeParams(params);
    el.append(rangeForm("ops-intents", params));
    const body = await api(`/v1/analytics/opportunities?${q}`);
    const n = body.params.repeat_days, basis = body.coverage_basis || {};
    el.append(h("p", { class: "muted", text: "Opportunity = contacts × verified AI resolution × knowledge coverage × policy coverage (a factor without a source, or without evidence for the intent, is left out and listed under Missing)." }));
    // Containment and verified resolution over the same AI contacts (repeat window closed), so they compare:
    // containment over every AI contact in range (pending ones included) could read below the verified rate.
    const advice = (v, r) => h("span", { style: "display:inline-block;min-width:16em" }, h("span", { class: "pill " + ({ expand: "ok", "pull back": "bad", "govern first": "warn", "document first": "warn", prepare: "warn" }[r.advice] || ""), text: r.advice }),
      " ", h("span", { class: "muted", "data-testid": "advice-reason", text: `${r.advice_reason} (rule ${r.advice_rule})` }));
    const intents = table([{ key: "intent", label: "Intent" }, { key: "volume", label: "Contacts" }, { key: "ai_share", label: "AI share", format: pct },
      { key: "ai_contacts", label: "AI contacts" }, { key: "pending_verification", label: "AI pending" },
      { key: "containment_rate_closed", label: "Contained (closed)", format: pct }, { key: "verified_automation_rate", label: "Verified AI (closed)", format: pct },
      { key: "repeat_rate", label: "Repeat", format: pct }, { key: "knowledge_coverage", label: "Knowledge (sample)", format: pct },
      { key: "policy_coverage", label: "Policy", format: pct }, { key: "opportunity", label: "Opportunity" },
      { key: "missing", label: "Missing", format: v => (v && v.length ? v.map(m => m.replace("_coverage", "")).join(", ") : "–") },
      { key: "recommendation", label: "Advice", format: advice }], body.rows);
    el.append(intents);
    el.append(h("ul", { class: "muted", "data-testid": "column-notes", "aria-label": "Column notes" },
      h("li", { text: `Contained (closed) and Verified AI (closed): the AI contacts whose ${n}-day repeat window has closed; AI pending (younger) are left out of both, so verified ≤ contained. The overview's “AI containment” counts every AI contact in range.` }),
      h("li", { "data-testid": "knowledge-basis", text: `Knowledge (sample): ${basis.knowledge_coverage || "no knowledge source bound"}. Knowledge → Health checks a smaller sample with its own rule, so its figures for an intent can differ.` }),
      h("li", { text: `Policy: ${basis.policy_coverage || "no policy source bound"}.` })));
    if (body.advice_rules) el.append(h("details", { class: "card", "data-testid": "advice-rules" }, h("summary", { text: "How the advice is decided (first rule that holds)" }),
      h("ol", {}, body.advice_rules.map(r => h("li", { text: `${r.advice}: ${r.when}` })))));
    const top = body.rows.filter(r => r.opportunity !== null).slice(0, 12);
    el.append(chart.bar({ title: "Automation opportunity by intent", labels: top.map(r => r.intent), series: [{ name: "opportunity", values: top.map(r => r.opportunity) }] }));
    el.append(exportLinks("/v1/analytics/opportunities", q), notes(body));
    const topicsBox = h("section", { "aria-label": "Topics" }, h("h2", { text: "Topics in unlabelled contacts" }));
    el.append(topicsBox);
    const topics = await api("/v1/analytics/topics?k=8");
    if (!topics.topics.length) { topicsBox.append(h("p", { class: "muted", text: topics.note || "No topics." })); return; }
    if (topics.alerts.length) topicsBox.append(h("p", { class: "warn", role: "alert", text: `Emerging: ${topics.alerts.map(a => `${a.label} (${a.recent} in 7 days, ×${a.growth})`).join("; ")}` }));
    topicsBox.append(table([{ key: "label", label: "Topic" }, { key: "size", label: "Contacts" }, { key: "recent", label: "Last 7 days" },
      { key: "growth", label: "Growth" }, { key: "terms", label: "Top terms", format: v => v.join(", ") }], topics.topics));
  } });

  cx.page({ id: "ops-wallboard", title: "Live wallboard", section: "Analytics", order: 23, roles: READ, async render(el) {
    const status = h("p", { class: "muted", role: "status", "aria-live": "polite", text: "Connecting…" });
    const board = h("div", { "data-testid": "wallboard" });
    // exports read a fresh snapshot of the table at download time (the API's `as_of` names the file)
    const exports = ["queues", "teams"].map(t => exportLinks("/v1/analytics/live", new URLSearchParams({ table: t }), t));
    el.append(status, board, ...exports);
    const source = new EventSource("/v1/analytics/live/stream");
    const stop = () => { source.close(); window.removeEventListener("hashchange", stop); };
    window.addEventListener("hashchange", stop);
    source.onerror = () => { status.textContent = "Connection lost; retrying…"; };
    source.addEventListener("snapshot", ev => {
      if (!el.isConnected) { stop(); return; }
      const s = JSON.parse(ev.data), t = s.totals;
      status.textContent = `Last ${s.window_minutes} minutes · updated ${new Date(s.as_of).toLocaleTimeString()}`;
      const agents = Object.entries(t.agents).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(" · ") || "no states";
      board.replaceChildren(
        h("div", { class: "grid" }, kpi("Contacts", t.contacts), kpi("In progress", t.in_progress, "waiting or being served"),
          kpi("Service level", pct(t.service_level)), kpi("Abandoned", t.abandoned), kpi("Sentiment", num(t.sentiment), "latest customer"),
          kpi("Agents", Object.values(t.agents).reduce((a, b) => a + b, 0), agents)),
        h("h2", { text: "Queues" }),
        table([{ key: "queue", label: "Queue" }, { key: "contacts", label: "Contacts" }, { key: "in_progress", label: "In progress" },
          { key: "service_level", label: "Service level", format: pct }, { key: "abandoned", label: "Abandoned" }, { key: "sentiment", label: "Sentiment" }], s.queues),
        h("h2", { text: "Teams" }),
        table([{ key: "team", label: "Team" }, { key: "contacts", label: "Contacts" }, { key: "in_progress", label: "In progress" },
          { key: "service_level", label: "Service level", format: pct }, { key: "sentiment", label: "Sentiment" },
          { key: "agents", label: "Agents by state", format: v => Object.entries(v).map(([k, n]) => `${k.replace(/_/g, " ")}: ${n}`).join(", ") || "–" }], s.teams));
    });
  } });
})();
