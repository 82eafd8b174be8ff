/* Auto-documentation: recently documented interactions, and one interaction's CRM-ready JSON rendered (summary with
   turn references, disposition, action items, entities, the optional generative summary) plus the raw JSON. */
(function () {
  "use strict";
  const { h, api, table, notify, kpi } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const when = v => (v || "").slice(0, 16).replace("T", " ");
  const genPill = v => h("span", { class: "pill " + ({ ok: "ok", failed: "bad", pending: "warn" }[v] || ""), text: v });

  cx.page({ id: "documentation", title: "Call documentation", section: "Assist", order: 62, roles: READ, async render(el, params) {
    const q = new URLSearchParams({ limit: 50 }); if (params.intent) q.set("intent", params.intent);
    const page = await api(`/v1/documentation?${q}`);
    el.append(h("p", { class: "muted", text: `Written automatically when an interaction ends (${cx.num(page.total)} documented). Open one to see its CRM-ready JSON.` }));
    if (params.intent) el.append(h("p", {}, `Intent: ${params.intent} · `, h("a", { href: "#/documentation", text: "all intents" })));
    if (!page.items.length) { el.append(h("p", { class: "muted", "data-testid": "doc-empty", text: "No documented interactions yet." })); return; }
    el.append(table([
      { key: "interaction_started_at", label: "Started", format: (v, r) => h("a", { href: `#/documentation-view?id=${r.interaction_id}`, text: when(v) }) },
      { key: "document", label: "Channel", format: d => d.interaction.channel },
      { key: "intent", label: "Intent", format: v => v ? h("a", { href: `#/documentation?intent=${encodeURIComponent(v)}`, text: v }) : "–" },
      { key: "outcome", label: "Outcome" },
      { key: "document", label: "Summary", format: d => (d.summary.text || "–").slice(0, 140) },
      { key: "generative_status", label: "Generative", format: genPill },
    ], page.items));
  } });

  function section(title, body) { return h("section", { class: "doc-section" }, h("h3", { text: title }), body); }

  cx.page({ id: "documentation-view", title: "Interaction documentation", section: "Assist", order: 63, hidden: true, roles: READ, async render(el, params) {
    const row = await api(`/v1/interactions/${encodeURIComponent(params.id)}/documentation`);
    const d = row.document, disp = d.disposition;
    el.append(h("div", { class: "grid" }, kpi("Intent", disp.intent || "–", disp.intent_source === "model" ? `${disp.model}, p=${disp.confidence}` : `from the ${disp.intent_source}`),
      kpi("Outcome", disp.outcome, `from the ${disp.outcome_source}`), kpi("Action items", d.action_items.length), kpi("Entities", d.entities.length)));
    el.append(section("Summary", h("ol", { class: "doc-summary", "data-testid": "doc-summary" }, d.summary.sentences.map(s =>
      h("li", {}, h("span", { class: "meta", text: `#${s.turn} ${s.speaker}: ` }), s.text)))));
    el.append(section("Action items", d.action_items.length ? table([{ key: "text", label: "Commitment" }, { key: "owner", label: "Owner" },
      { key: "due", label: "Due" }, { key: "turn", label: "Turn", format: v => `#${v}` }], d.action_items) : h("p", { class: "muted", text: "None." })));
    el.append(section("Entities", d.entities.length ? table([{ key: "type", label: "Type" }, { key: "value", label: "Value", format: (v, r) => r.currency ? `${v} ${r.currency}` : String(v) },
      { key: "turns", label: "Turns", format: v => v.map(t => `#${t}`).join(", ") }], d.entities) : h("p", { class: "muted", text: "None." })));
    el.append(section("Generative summary", d.generative ? h("p", { "data-testid": "doc-generative", text: `${d.generative.summary} (${d.generative.model})` })
      : h("p", { class: "muted", "data-testid": "doc-generative", text: `Not available (${d.generative_status}): ${d.generative_reason || "–"}` })));
    if (["admin", "supervisor"].includes(cx.state.me.role)) el.append(h("p", {}, cx.button("Regenerate", async () => {
      await api(`/v1/interactions/${row.interaction_id}/documentation/regenerate`, { method: "POST" }); notify("Documentation rewritten"); cx.go("documentation-view", { id: row.interaction_id, t: Date.now() });
    })));
    el.append(section(`JSON (${d.schema})`, h("pre", { class: "json", style: "white-space: pre-wrap; max-height: 32rem; overflow: auto", "data-testid": "doc-json", text: JSON.stringify(d, null, 2) })));
  } });
})();
