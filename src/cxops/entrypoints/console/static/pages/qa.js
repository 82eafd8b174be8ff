/* QA: scorecard editor, evaluations with evidence highlighted in the transcript, agent coaching, disputes, calibration. */
(function () {
  "use strict";
  const { h, api, table, form, notify, kpi } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const pill = (text, kind) => h("span", { class: "pill " + (kind || ""), text });
  const statusPill = v => pill(v, { pass: "ok", fail: "bad" }[v]);

  cx.page({ id: "qa-scorecards", title: "Scorecards", section: "Quality", order: 40, roles: READ, async render(el) {
    const cards = await api("/v1/qa/scorecards?all_versions=true");
    el.append(table([{ key: "name", label: "Scorecard" }, { key: "version", label: "Version" },
      { key: "active", label: "Active", format: v => pill(v ? "active" : "inactive", v ? "ok" : "") }, { key: "created_at", label: "Published", format: v => v.slice(0, 16) }], cards));
    const active = cards.find(c => c.active);
    const out = h("div", { "aria-live": "polite" });
    el.append(h("h3", { text: "Edit (publishing a higher version re-scores history; past scores keep their version)" }));
    const editor = form([{ name: "source", label: "Scorecard (YAML)", type: "textarea", value: active ? active.source : "" }], async v => {
      const r = await api("/v1/qa/scorecards/validate", { method: "POST", body: { source: v.source } });
      out.replaceChildren(h("p", { class: "ok", text: `Valid: "${r.name}" v${r.version}, ${r.sections} sections, ${r.criteria} criteria.` }));
    }, { submit: "Validate" });
    editor.querySelector("textarea").rows = 18;
    el.append(editor, out);
    if (["admin", "supervisor"].includes(cx.state.me.role)) el.append(h("button", { text: "Publish", onclick: async () => {
      try { const c = await api("/v1/qa/scorecards", { method: "POST", body: { source: editor.querySelector("textarea").value } }); notify(`Published v${c.version}`); cx.go("qa-scorecards", { t: Date.now() }); }
      catch (e) { out.replaceChildren(h("p", { class: "bad", role: "alert", text: e.message })); } } }));
  } });

  // An agent sees only their own evaluations and coaching (the API scopes them to the agent the key is linked to).
  const isAgent = () => cx.state.me && cx.state.me.role === "agent";

  cx.page({ id: "qa-evaluations", title: "Evaluations", section: "Quality", order: 41, roles: [...READ, "agent"], async render(el, params) {
    const q = new URLSearchParams({ limit: 100 }); if (params.below) q.set("below", params.below); if (params.agent_id && !isAgent()) q.set("agent_id", params.agent_id);
    const evs = await api(`/v1/qa/evaluations?${q}`);
    const who = await cx.names({ agents: evs.map(e => e.agent_id) });  // readers: the agent's name; an agent: the kind
    if (isAgent()) el.append(h("p", { class: "muted", text: "Your own evaluations." }));
    el.append(h("div", { class: "row" }, h("a", { href: "#/qa-evaluations", text: "All" }), " · ", h("a", { href: "#/qa-evaluations?below=60", text: "Below 60" })));
    el.append(table([{ key: "scored_at", label: "Scored", format: (v, r) => h("a", { href: `#/qa-evaluation?id=${r.id}`, text: v.slice(0, 16).replace("T", " ") }) },
      { key: "scorecard_name", label: "Scorecard", format: (v, r) => `${v} v${r.version}` }, { key: "agent_id", label: "Agent", format: (v, r) => (v && who.agentName(v) !== v ? h("span", {}, who.agent(v), h("small", { class: "muted", text: ` (${r.agent_kind})` })) : r.agent_kind || "–") },
      { key: "total", label: "Score", format: (v, r) => h("span", { class: r.auto_failed ? "bad" : v >= 80 ? "ok" : "warn", text: r.auto_failed ? `${v} (auto-fail)` : String(v) }) }], evs));
  } });

  cx.page({ id: "qa-evaluation", title: "Evaluation", section: "Quality", order: 42, hidden: true, roles: [...READ, "agent"], async render(el, params) {
    const ev = await api(`/v1/qa/evaluations/${encodeURIComponent(params.id)}`);
    let transcriptError = null;
    const it = await api(`/v1/interactions/${ev.interaction_id}`).catch(e => { transcriptError = e; return null; });
    el.append(h("div", { class: "grid" }, kpi("Score", ev.total, ev.auto_failed ? "auto-failed" : `${ev.scorecard_name} v${ev.version}`),
      ...Object.entries(ev.sections).map(([k, v]) => kpi(k, v))));
    const evidence = new Map();
    const rows = ev.criteria.map(c => { c.evidence.forEach(s => evidence.set(s, (evidence.get(s) || []).concat(c.criterion))); return c; });
    el.append(table([{ key: "criterion", label: "Criterion" }, { key: "status", label: "Result", format: statusPill },
      { key: "detail", label: "Why" }, { key: "evidence", label: "Turns", format: v => v.length ? v.map(s => `#${s}`).join(", ") : "–" }, { key: "rule", label: "Rule" }], rows));
    if (it) {
      el.append(h("h3", { text: "Transcript (evidence highlighted)" }), h("div", { class: "transcript", "data-testid": "qa-transcript" }, it.turns.map(t => {
        const tags = evidence.get(t.seq);
        return h("div", { class: `turn ${t.speaker}`, "data-seq": t.seq }, h("div", { class: "meta", text: `#${t.seq} ${t.speaker}${tags ? " · " + tags.join(", ") : ""}` }),
          tags ? h("mark", { text: t.text }) : t.text);
      })));
    } else if (transcriptError && transcriptError.message !== "signed out") {
      el.append(h("p", { class: "muted", "data-testid": "qa-transcript-missing", text: `Transcript not shown: ${transcriptError.message}` }));
    }
    const dispute = form([{ name: "criterion", label: "Dispute criterion", type: "select", options: ev.criteria.map(c => c.criterion) }, { name: "reason", label: "Reason", type: "textarea" }], async v => {
      await api(`/v1/qa/evaluations/${ev.id}/disputes`, { method: "POST", body: v }); notify("Dispute opened");
    }, { submit: "Open dispute" });
    el.append(h("h3", { text: "Dispute" }), dispute);
  } });

  cx.page({ id: "qa-coaching", title: "Coaching", section: "Quality", order: 43, roles: [...READ, "agent"], async render(el, params) {
    let c;
    if (isAgent()) {  // the agent's own coaching: no choice of agent
      c = await api("/v1/qa/coaching/me");
      el.append(h("p", { class: "muted", text: `Your coaching${c.agent_name ? ` (${c.agent_name})` : ""}, from your scored contacts.` }));
    } else {
      // Names repeat (two agents can share one), so each option carries the agent's code too.
      const agents = await api("/v1/agents?limit=500").catch(() => []);
      el.append(form([{ name: "agent_id", label: "Agent (human or AI)", type: "select", value: params.agent_id || "", options: [["", "choose…"], ...agents.map(a => [a.id, `${a.name} · ${a.code} (${a.kind})`])] }],
        v => cx.go("qa-coaching", v.agent_id ? { agent_id: v.agent_id } : null), { submit: "Show" }));
      if (!params.agent_id) return;
      c = await api(`/v1/qa/coaching/${encodeURIComponent(params.agent_id)}`);
    }
    el.append(h("div", { class: "grid" }, kpi("Evaluations", c.evaluations), kpi("Mean score", c.mean_score ?? "–"), kpi("Kind", c.agent_kind || "–")));
    // An agent opens an example as its evaluation (criteria and the transcript with the evidence highlighted).
    const example = e => isAgent()
      ? h("a", { href: `#/qa-evaluation?id=${e.evaluation_id}`, text: "open " })
      : h("a", { href: `#/interaction?id=${e.interaction_id}&highlight=${e.evidence.join(",")}`, text: "open " });
    const list = rows => table([{ key: "criterion", label: "Criterion" }, { key: "pass_rate", label: "Pass rate", format: v => cx.pct(v) }, { key: "n", label: "Scored" },
      { key: "failed_examples", label: "Examples", format: ex => h("span", {}, ex.map(example)) }], rows);
    el.append(h("h3", { text: "Strengths" }), list(c.strengths), h("h3", { text: "Weakest criteria" }), list(c.weakest));
    if (isAgent()) {  // the disputes on the agent's own evaluations, with each decision's reason
      const disputes = await api("/v1/qa/disputes");
      const decision = d => (d.history.filter(x => x.action !== "opened").pop() || {}).reason || "–";
      el.append(h("h3", { text: "Your disputes" }), disputes.length ? table([
        { key: "created_at", label: "Opened", format: (v, r) => h("a", { href: `#/qa-evaluation?id=${r.evaluation_id}`, text: v.slice(0, 16).replace("T", " ") }) },
        { key: "criterion", label: "Criterion" }, { key: "reason", label: "Your reason" },
        { key: "status", label: "Status", format: v => h("span", { class: "pill " + ({ upheld: "ok", rejected: "bad" }[v] || "warn"), text: v }) },
        { key: "history", label: "Decision", format: (v, r) => decision(r) }], disputes)
        : h("p", { class: "muted", "data-testid": "qa-no-disputes", text: "No disputes on your evaluations." }));
    }
  } });

  cx.page({ id: "qa-calibration", title: "Calibration and disputes", section: "Quality", order: 44, roles: READ, async render(el) {
    const cal = await api("/v1/qa/calibration");
    el.append(h("p", { class: "muted", text: "Agreement with human evaluators per criterion, the criteria that disagree most first." }),
      table([{ key: "criterion", label: "Criterion" }, { key: "pairs", label: "Pairs" }, { key: "percent_agreement", label: "Agreement", format: v => cx.pct(v) },
        { key: "kappa", label: "Cohen's κ", format: v => v === null ? "–" : v.toFixed(2) }, { key: "auto_pass_rate", label: "Auto pass", format: v => cx.pct(v) }, { key: "human_pass_rate", label: "Human pass", format: v => cx.pct(v) }], cal.criteria));
    const disputes = await api("/v1/qa/disputes?status=open");
    const manage = ["admin", "supervisor"].includes(cx.state.me.role);
    // The decision buttons say what they do; they send the dispute's new status ("upheld" or "rejected").
    const DECISIONS = [["upheld", "Uphold"], ["rejected", "Reject"]];
    el.append(h("h3", { text: "Open disputes" }), table([{ key: "criterion", label: "Criterion" }, { key: "reason", label: "Reason" },
      { key: "evaluation_id", label: "Evaluation", format: v => h("a", { href: `#/qa-evaluation?id=${v}`, title: v, text: "open" }) },
      { key: "id", label: "Decision", format: (v, r) => !manage ? "–" : h("span", { class: "row" }, DECISIONS.map(([d, label]) => cx.button(label, async () => {
        const reason = prompt(`Reason to ${label.toLowerCase()} the dispute on ${r.criterion}:`); if (!reason) return;
        await api(`/v1/qa/disputes/${v}/decision`, { method: "POST", body: { decision: d, reason } }); cx.go("qa-calibration", { t: Date.now() });
      }, { class: "secondary", "aria-label": `${label} the dispute on ${r.criterion}` }))) }], disputes));
  } });
})();
