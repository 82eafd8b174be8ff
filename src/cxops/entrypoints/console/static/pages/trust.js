/* Trust pages: a customer's trust view (ledger, score, routing advice with reasons, consented memory) and the trust index. */
(function () {
  "use strict";
  const { h, api, table, kpi, chart, form, notify } = window.cx;
  const ALL = ["admin", "supervisor", "analyst", "agent", "service"];
  const READ = ["admin", "supervisor", "analyst"];
  const RECORD = ["admin", "supervisor", "agent", "service"];
  const when = v => (v ? v.slice(0, 16).replace("T", " ") : "–");
  const day = v => (v ? v.slice(0, 10) : "–");
  const section = (title, ...children) => h("section", { class: "card", "aria-label": title }, h("h3", { text: title }), ...children);
  const interactionLink = v => (v ? h("a", { href: `#/interaction?id=${v}`, title: v, text: "…" + v.slice(-8) }) : "–");
  // Who recorded a consent change: the key's role and subject (an agent's code) when known, else the key id shortened.
  const recorder = (v, r) => (!v ? "–" : h("span", { title: `key ${v}`,
    text: r.recorded_by_subject ? `${r.recorded_by_role} ${r.recorded_by_subject}` : `${r.recorded_by_role || ""} key …${v.slice(-8)}`.trim() }));

  async function memorySection(cid, consents) {
    const granted = consents.consents.filter(c => c.granted);
    if (!granted.length) return section("Memory", h("p", { class: "muted", text: "No consented purpose: nothing may be recalled." }));
    const out = section("Memory (consented purposes only)");
    for (const c of granted) {
      const items = await api(`/v1/customers/${cid}/memory?purpose=${encodeURIComponent(c.purpose)}`);
      const why = h("div", { "aria-live": "polite" });
      out.append(h("h4", { text: `${c.purpose} · covers ${c.scope.join(", ")}` }), table([
        { key: "kind", label: "Kind" }, { key: "content", label: "What we know" },
        { key: "retain_until", label: "Kept until", format: when },
        { key: "id", label: "Why?", format: id => cx.button("Why do we know this?", async () => {
          const w = await api(`/v1/customers/${cid}/memory/${id}/why`);
          why.replaceChildren(h("p", { text: `${w.reason} — learnt in interaction ${w.source_interaction.id} (${w.source_interaction.channel || "?"}, ${when(w.source_interaction.started_at)}), for "${w.purpose_description}", consent ${w.consent ? w.consent.action + " " + when(w.consent.recorded_at) : "unknown"}, kept until ${when(w.retain_until)}.` }));
        }) },
      ], items), why);
    }
    return out;
  }

  function consentSection(cid, consents, rerender) {
    const out = section("Consent",
      table([{ key: "purpose", label: "Purpose", format: v => h("span", { title: consents.purposes[v] || "", text: v }) },
        { key: "granted", label: "State", format: v => h("span", { class: "pill " + (v ? "ok" : "bad"), text: v ? "given" : "withdrawn" }) },
        { key: "scope", label: "Covers", format: v => v.join(", ") || "–" }, { key: "updated_at", label: "Since", format: when }], consents.consents),
      h("h4", { text: "History" }),
      table([{ key: "recorded_at", label: "When", format: when }, { key: "purpose", label: "Purpose" }, { key: "action", label: "Action" },
        { key: "recorded_by", label: "Recorded by", format: recorder },
        { key: "source_interaction_id", label: "Interaction", format: interactionLink }], consents.history));
    if (cx.state.me && RECORD.includes(cx.state.me.role)) {
      const agent = cx.state.me.role === "agent";
      out.append(h("h4", { text: "Record consent" }), form([
        { name: "purpose", label: "Purpose", type: "select", options: Object.keys(consents.purposes) },
        { name: "granted", label: "Customer says", type: "select", options: [["true", "gives consent"], ["false", "withdraws consent"]] },
        // agents record from one of their own contacts with the customer (the API requires it of them)
        { name: "source_interaction_id", label: "In interaction (id)", placeholder: "uuid", required: agent },
      ], async v => {
        const source = v.source_interaction_id.trim();
        await api(`/v1/customers/${cid}/consents`, { method: "POST",
          body: Object.assign({ purpose: v.purpose, granted: v.granted === "true" }, source ? { source_interaction_id: source } : {}) });
        notify("Consent recorded", "ok"); rerender();
      }, { submit: "Record" }));
    }
    return out;
  }

  // `el` holds only the customer's view: recording consent redraws it (the hash, hence the route, stays the same).
  async function customerView(el, cid) {
    const [advice, ledger, consents] = await Promise.all([
      api(`/v1/customers/${cid}/routing-advice`), api(`/v1/customers/${cid}/trust`), api(`/v1/customers/${cid}/consents`)]);
    el.append(h("div", { class: "grid" },
      kpi("Routing", advice.route === "human_first" ? "Human first" : "Automation OK", `policy: ${advice.policy.max_poor} poor in ${advice.policy.window_days} days`),
      kpi("Trust score", advice.score.toFixed(2), "1 = full trust; decays back with time"),
      kpi("Poor in window", advice.poor_in_window), kpi("Automation averse", ledger.automation_averse ? "yes" : "no")));
    el.append(section("Why this routing", advice.reasons.length
      ? h("ul", {}, advice.reasons.map(r => h("li", {}, h("strong", { text: when(r.occurred_at) }), ` — ${r.explanation}`,
        r.interaction_id ? h("a", { href: `#/interaction?id=${r.interaction_id}`, text: " (interaction)" }) : "")))
      : h("p", { class: "muted", text: "No poor automated experience in the policy window." })));
    el.append(section("Automated experience history", table([
      { key: "occurred_at", label: "When", format: when },
      { key: "kind", label: "Experience", format: (v, r) => h("span", { class: "pill " + (r.poor ? "bad" : "ok"), title: r.reason, text: v.replaceAll("_", " ") }) },
      { key: "intent", label: "Intent" }, { key: "origin", label: "From" },
      { key: "interaction_id", label: "Interaction", format: interactionLink },
    ], ledger.experiences)));
    const redraw = () => { el.replaceChildren(); customerView(el, cid).catch(e => notify(e.message, "error")); };
    el.append(consentSection(cid, consents, redraw));
    el.append(await memorySection(cid, consents));
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  cx.page({ id: "trust-customer", title: "Customer trust", section: "Trust", order: 1, roles: ALL, async render(el, params) {
    // A customer id, or the external id other pages show (e.g. C0008643), resolved through the directory.
    el.append(form([{ name: "customer_id", label: "Customer id or external id", required: true, value: params.customer_id || "", placeholder: "uuid or external id" }],
      async v => {
        const ref = v.customer_id.trim();
        if (UUID.test(ref)) { cx.go("trust-customer", { customer_id: ref }); return; }
        const found = await api("/v1/directory/names", { method: "POST", body: { customers: [ref] }, noRedirect: true }).catch(() => null);
        const hit = found && found.customers[ref];
        if (!hit) {
          const e = new Error("not found");
          e.detail = { field: "customer_id", message: found ? `no customer with the id or external id '${ref}'`
            : "looking up an external id needs a directory reader's key: paste the customer id (from an interaction)" };
          throw e;
        }
        cx.go("trust-customer", { customer_id: hit.id });
      }, { submit: "Show" }));
    if (!params.customer_id) { el.append(h("p", { class: "muted", text: "Enter a customer id or external id (from an interaction or an approval) to see their trust ledger, routing advice and consented memory." })); return; }
    const view = h("div");
    el.append(view);
    await customerView(view, params.customer_id);
  } });

  cx.page({ id: "trust-index", title: "Trust index", section: "Trust", order: 2, roles: READ, async render(el, params) {
    const groupBy = params.group_by || "queue", bucket = params.bucket || "week";
    el.append(form([
      { name: "group_by", label: "Group by", type: "select", value: groupBy, options: ["queue", "team", "region"] },
      { name: "bucket", label: "Bucket", type: "select", value: bucket, options: ["week", "day"] },
    ], v => cx.go("trust-index", v), { submit: "Show" }));
    // Buckets start at `since`: ask from a UTC midnight (a Monday for weeks) so their boundaries, and the dates
    // that label them, stay the same between loads (the API's default is "now - 12 weeks", to the second).
    const midnight = new Date(); midnight.setUTCHours(0, 0, 0, 0);
    const since = bucket === "day" ? new Date(midnight.getTime() - 60 * 86400e3)
      : new Date(midnight.getTime() - (((midnight.getUTCDay() + 6) % 7) + 7 * 12) * 86400e3);
    const q = new URLSearchParams({ group_by: groupBy, bucket, since: since.toISOString() });
    const [rows, policy] = await Promise.all([api(`/v1/trust/index?${q}`), api("/v1/trust/policy")]);
    el.append(h("p", { class: "muted", text: `Automation-averse: ${policy.max_poor} or more poor automated experiences within ${policy.window_days} days. A recovery is an AI success for a customer who was averse.` }));
    if (!rows.length) { el.append(h("p", { class: "muted", text: "No automated experiences in this range yet." })); return; }
    const groups = [...new Set(rows.map(r => r.group || "(none)"))];
    const starts = [...new Set(rows.map(r => r.bucket_start))].sort();
    const pick = (g, s) => rows.find(r => (r.group || "(none)") === g && r.bucket_start === s);
    el.append(chart.line({ title: "Share of active customers who are automation-averse (%)", yLabel: "%",
      series: groups.map(g => ({ name: g, points: starts.map(s => { const r = pick(g, s); return [s, r ? Math.round(1000 * r.averse_share) / 10 : null]; }) })) }));
    el.append(chart.bar({ title: "Recoveries", labels: starts.map(s => s.slice(5, 10)),
      series: groups.map(g => ({ name: g, values: starts.map(s => (pick(g, s) || {}).recoveries || 0) })) }));
    el.append(table([{ key: "bucket_start", label: bucket === "week" ? "Week from" : "Day", format: day }, { key: "group", label: groupBy, format: v => v || "(none)" },
      { key: "customers", label: "Active customers" }, { key: "averse", label: "Averse" },
      { key: "averse_share", label: "Averse share", format: v => cx.pct(v, 1) }, { key: "recoveries", label: "Recoveries" }], rows));
  } });
})();
