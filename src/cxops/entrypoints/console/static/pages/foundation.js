/* Foundation pages: daily overview, organisation tree, interactions and transcripts, queues, agents, API keys. */
(function () {
  "use strict";
  const { h, api, table, kpi, chart, form, notify, fmt } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const pct = (a, b) => (b ? Math.round(1000 * a / b) / 10 : 0);

  cx.page({ id: "overview", title: "Daily overview", section: "Operations", order: 1, roles: READ, async render(el, params) {
    const days = Number(params.days || 30);
    const data = await api(`/v1/overview/daily?days=${days}`);
    const rows = data.rows, t = data.totals;
    // [since, until): the `days` up to the newest contact, the range the Operations overview defaults to. Unless it
    // ends at midnight UTC it covers days + 1 calendar days, the first and the last partial: the chart marks them.
    const stamp = iso => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    const midnight = iso => iso.slice(11, 19) === "00:00:00";
    const firstDay = data.since.slice(0, 10), lastDay = data.until.slice(0, 10);
    const partialDay = d => (d === firstDay && !midnight(data.since)) || (d === lastDay && !midnight(data.until));
    el.append(h("p", { class: "muted", "data-testid": "range", text: `Last ${days} days up to the newest contact: ${stamp(data.since)} to ${stamp(data.until)} UTC (the same range as the Operations overview's default).` }));
    el.append(h("div", { class: "grid" }, kpi("Contacts", t.volume), kpi("Resolved", `${pct(t.resolved, t.volume)}%`, "outcome = resolved"),
      kpi("Abandoned", `${pct(t.abandoned, t.volume)}%`), kpi("AI involved", `${pct(t.ai_involved, t.volume)}%`, "an AI agent took part"),
      kpi("Avg handle time", t.aht_s === null ? "–" : `${fmt(Math.round(t.aht_s * 10) / 10)} s`, "talk + hold + wrap of handled contacts"),
      kpi("CSAT", t.csat === null ? "–" : t.csat.toFixed(2), "1-5, answered surveys")));
    const dayList = [...new Set(rows.map(r => r.day))].sort();
    const channels = [...new Set(rows.map(r => r.channel))].sort();
    const label = d => d.slice(5) + (partialDay(d) ? " (part)" : "");
    const series = channels.map(ch => ({ name: ch, values: dayList.map(d => (rows.find(r => r.day === d && r.channel === ch) || {}).volume || 0) }));
    el.append(chart.bar({ title: "Contacts per day by channel (UTC days)", labels: dayList.map(label), series, stacked: true }));
    if (dayList.some(partialDay)) el.append(h("p", { class: "muted", "data-testid": "partial-days", text: `${dayList.length} calendar days: ${dayList.filter(partialDay).map(d => d.slice(5)).join(" and ")} (part) are partial, as the ${days} days start at ${data.since.slice(11, 16)} UTC.` }));
    const resolution = channels.map(ch => ({ name: `${ch} resolved %`, points: dayList.map(d => { const r = rows.find(x => x.day === d && x.channel === ch); return [d + "T00:00:00Z", r ? pct(r.resolved, r.volume) : null]; }) }));
    el.append(chart.line({ title: "Resolution rate per day (%)", series: resolution }));
  } });

  cx.page({ id: "organisation", title: "Organisation", section: "Operations", order: 2, roles: READ, async render(el) {
    const data = await api("/v1/hierarchy");
    if (!data.regions.length) { el.append(h("p", { class: "muted", text: "No regions yet: run the demo or create them through the API." })); return; }
    const tree = h("div", { class: "tree card" });
    for (const r of data.regions) {
      const locs = h("ul", {}, r.locations.map(l => h("li", {}, h("strong", { text: l.name }), h("span", { class: "muted", text: ` (${l.timezone})` }),
        h("ul", {}, l.teams.map(t => h("li", {}, h("a", { href: `#/interactions?team_id=${t.id}`, text: t.name }), h("span", { class: "muted", text: ` · ${t.humans} humans, ${t.ai} AI` })))))));
      tree.append(h("section", { "aria-label": r.name }, h("h3", { text: r.name }), locs));
    }
    el.append(tree);
  } });

  cx.page({ id: "interactions", title: "Interactions", section: "Operations", order: 3, roles: READ, async render(el, params) {
    const limit = 50, offset = Number(params.offset || 0);
    const q = new URLSearchParams({ limit, offset });
    for (const k of ["channel", "outcome", "team_id", "queue_id", "agent_id", "customer_id", "intent"]) if (params[k]) q.set(k, params[k]);
    el.append(form([
      { name: "channel", label: "Channel", type: "select", value: params.channel || "", options: [["", "any"], "voice", "chat", "email", "messaging"] },
      { name: "outcome", label: "Outcome", type: "select", value: params.outcome || "", options: [["", "any"], "resolved", "escalated", "transferred", "abandoned"] },
      { name: "intent", label: "Intent", value: params.intent || "" },
    ], v => { const p = Object.assign({}, params, v, { offset: 0 }); for (const k of Object.keys(p)) if (!p[k]) delete p[k]; cx.go("interactions", p); }, { submit: "Filter" }));
    // Filters a link set (the organisation page's teams, a customer's or agent's contacts) that the form does not
    // show: named, each removable, so a drill-down never hides what it narrows to.
    const HIDDEN = { team_id: "team", queue_id: "queue", agent_id: "agent", customer_id: "customer" };
    const hidden = Object.keys(HIDDEN).filter(k => params[k]);
    if (hidden.length) {
      const teams = {};
      if (params.team_id) {
        try { for (const r of (await api("/v1/hierarchy")).regions) for (const l of r.locations) for (const t of l.teams) teams[t.id] = t.name; } catch (e) { /* ids stay */ }
      }
      const without = k => { const p = Object.assign({}, params, { offset: 0 }); delete p[k]; return p; };
      el.append(h("p", { class: "row", "data-testid": "hidden-filters" }, ...hidden.map(k => h("span", { class: "pill" },
        `${HIDDEN[k]}: `, teams[params[k]] || cx.shortId(params[k]), " ",
        h("button", { type: "button", class: "secondary", "aria-label": `Remove the ${HIDDEN[k]} filter`, text: "×", onclick: () => cx.go("interactions", without(k)) })))));
    }
    const page = await api(`/v1/interactions?${q}`);
    // "No interactions" when none match; past the last page (an old link after a filter), say so rather than "101-30".
    const shown = page.items.length, noun = page.total === 1 ? "interaction" : "interactions";
    el.append(h("p", { class: "muted", "data-testid": "paging", text: !page.total ? (q.size > 2 ? "No interactions match these filters." : "No interactions yet.")
      : !shown ? `${fmt(page.total)} ${noun}; this page is past the last one.`
      : `${fmt(page.total)} ${noun}; showing ${fmt(offset + 1)}-${fmt(offset + shown)}.` }));
    if (shown) el.append(table([
      { key: "started_at", label: "Started", format: (v, r) => h("a", { href: `#/interaction?id=${r.id}`, text: v.slice(0, 16).replace("T", " ") }) },
      { key: "channel", label: "Channel" }, { key: "intent", label: "Intent" },
      { key: "outcome", label: "Outcome", format: v => h("span", { class: "pill " + ({ resolved: "ok", abandoned: "bad", escalated: "warn" }[v] || ""), text: v || "open" }) },
      { key: "ai_involved", label: "AI", format: (v, r) => v ? (r.handed_off ? "AI → human" : "AI") : "human" },
      { key: "turn_count", label: "Turns" }, { key: "csat", label: "CSAT" },
    ], page.items));
    const nav = h("div", { class: "row" });
    if (offset > 0) nav.append(h("button", { class: "secondary", text: "Previous", onclick: () => cx.go("interactions", Object.assign({}, params, { offset: Math.max(0, Math.min(offset, Math.ceil(page.total / limit) * limit) - limit) })) }));
    if (offset + limit < page.total) nav.append(h("button", { class: "secondary", text: "Next", onclick: () => cx.go("interactions", Object.assign({}, params, { offset: offset + limit })) }));
    el.append(nav);
  } });

  // Agents open their own contacts (the API answers another's as 404): from an evaluation's evidence, a consent entry.
  cx.page({ id: "interaction", title: "Interaction", section: "Operations", order: 99, roles: [...READ, "agent"], hidden: true, async render(el, params) {
    if (!params.id) { el.append(h("p", { text: "No interaction selected." })); return; }
    const it = await api(`/v1/interactions/${encodeURIComponent(params.id)}`);
    el.append(h("div", { class: "grid" }, kpi("Channel", it.channel), kpi("Intent", it.intent || "–"), kpi("Outcome", it.outcome || "open"),
      kpi("Handle time", `${Math.round(it.talk_s + it.hold_s + it.wrap_s)} s`, `talk ${Math.round(it.talk_s)} · hold ${Math.round(it.hold_s)} · wrap ${Math.round(it.wrap_s)}`),
      kpi("CSAT", it.csat ?? "–", it.survey_answered ? "survey answered" : "no survey"), kpi("Sentiment", `${fmt(it.sentiment_start)} → ${fmt(it.sentiment_end)}`, "customer, start → end")));
    el.append(h("p", { class: "muted", text: `Source ${it.source} · external id ${it.external_id} · started ${it.started_at}` }));
    // The same contact seen by the other capabilities: its documentation, its QA scores, its customer's trust ledger.
    const evals = await api(`/v1/qa/evaluations?interaction_id=${encodeURIComponent(it.id)}&limit=5`).catch(() => []);
    const links = [
      it.documentation && READ.includes(cx.state.me.role) ? h("a", { href: `#/documentation-view?id=${it.id}`, text: "Call documentation" }) : null,
      ...evals.map(e => h("a", { href: `#/qa-evaluation?id=${e.id}`, text: `QA: ${e.scorecard_name || "evaluation"} ${fmt(e.total)}` })),
      it.customer_id ? h("a", { href: `#/trust-customer?customer_id=${it.customer_id}`, text: "Customer's trust ledger" }) : null,
    ].filter(Boolean);
    if (links.length) el.append(h("div", { class: "row", role: "navigation", "aria-label": "Related", "data-testid": "related" }, links));
    const highlight = new Set(String(params.highlight || "").split(",").filter(Boolean).map(Number));
    el.append(h("h3", { text: "Transcript" }), h("div", { class: "transcript", "data-testid": "transcript" }, it.turns.map(t =>
      h("div", { class: `turn ${t.speaker}`, "data-seq": t.seq }, h("div", { class: "meta", text: `${t.speaker} · ${(t.offset_ms / 1000).toFixed(1)} s${t.sentiment !== null ? ` · sentiment ${t.sentiment}` : ""}` }),
        highlight.has(t.seq) ? h("mark", { text: t.text }) : t.text))));
  } });

  cx.page({ id: "queues", title: "Queues", section: "Directory", order: 10, roles: READ, async render(el) {
    const rows = await api("/v1/queues?limit=500");
    el.append(table([{ key: "code", label: "Code" }, { key: "name", label: "Name" }, { key: "channel", label: "Channel" },
      { key: "sl_target_pct", label: "SL target", format: (v, r) => `${v}% in ${r.sl_threshold_s} s` }, { key: "auto_created", label: "Auto-created" }], rows));
  } });

  cx.page({ id: "agents", title: "Agents", section: "Directory", order: 11, roles: READ, async render(el, params) {
    const kind = params.kind || "";
    el.append(h("div", { class: "row" }, ["", "human", "ai"].map(k => h("button", { class: k === kind ? "" : "secondary", text: k || "all", onclick: () => cx.go("agents", k ? { kind: k } : null) }))));
    const rows = await api(`/v1/agents?limit=500${kind ? `&kind=${kind}` : ""}`);
    el.append(h("p", { class: "muted", text: `${rows.length} agents shown.` }));
    el.append(table([{ key: "code", label: "Code", format: (v, r) => h("a", { href: `#/interactions?agent_id=${r.id}`, text: v }) }, { key: "name", label: "Name" }, { key: "kind", label: "Kind" },
      { key: "skills", label: "Skills", format: v => v.join(", ") }, { key: "status", label: "Status" }], rows));
  } });

  cx.page({ id: "keys", title: "API keys", section: "Admin", order: 90, roles: ["admin"], async render(el) {
    const list = h("div");
    const refresh = async () => {
      const rows = await api("/v1/keys");
      // Revoking is confirmed first; the key this session uses has no Revoke button (the API refuses it with 409).
      const revoke = r => h("button", { class: "secondary", text: "Revoke", "aria-label": `Revoke key ${r.name}`, onclick: async () => {
        if (!confirm(`Revoke the ${r.role} key "${r.name}" (${r.prefix}…)? Whoever uses it is refused at once; this cannot be undone.`)) return;
        try { await api(`/v1/keys/${r.id}`, { method: "DELETE" }); notify("Key revoked"); refresh(); } catch (e) { notify(e.message, "error"); } } });
      list.replaceChildren(table([{ key: "name", label: "Name" }, { key: "role", label: "Role" }, { key: "subject", label: "Linked agent", format: v => v || "–" }, { key: "prefix", label: "Prefix" },
        { key: "created_at", label: "Created", format: v => v.slice(0, 16) },
        { key: "revoked_at", label: "State", format: (v, r) => v ? "revoked" : r.id === cx.state.me.key_id ? h("span", { class: "muted", text: "in use by you" }) : revoke(r) }], rows));
    };
    el.append(form([{ name: "name", label: "Name", required: true }, { name: "role", label: "Role", type: "select", options: ["admin", "supervisor", "analyst", "agent", "service"], value: "analyst" },
      { name: "subject", label: "Agent code (agent and service keys: the agent the key acts as)", placeholder: "required for agent keys, e.g. agent-0012" }], async v => {
      const created = await api("/v1/keys", { method: "POST", body: v });
      el.querySelector(".secret")?.remove();
      list.before(h("p", { class: "card secret" }, "New key (shown once): ", h("code", { text: created.api_key })));
      refresh();
    }, { submit: "Create key" }), list);
    await refresh();
  } });
})();
