/* Workflows: rule editor with dry run, run history with each step, tasks and approvals, notifications, dead letters. */
(function () {
  "use strict";
  const { h, api, table, form, notify } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const EXAMPLE = `name: Review escalated refunds
trigger: interaction_ended
conditions:
  - {field: outcome, op: eq, value: escalated}
  - {field: intent, op: eq, value: refund}
steps:
  - tag: {tags: [needs-review]}
  - create_task: {team: refunds, title: "Check interaction {interaction_id}"}
  - notify: {message: "Escalated refund on {channel}", level: warning}
`;
  const when = v => (v ? v.slice(0, 16).replace("T", " ") : "–");
  const pill = (v, map) => h("span", { class: "pill " + (map[v] || ""), text: v });

  cx.page({ id: "workflows", title: "Workflow rules", section: "Automate", order: 70, roles: READ, async render(el, params) {
    const rules = await api("/v1/workflows/rules");
    el.append(table([
      { key: "name", label: "Rule", format: (v, r) => h("a", { href: `#/workflows?edit=${r.id}`, text: v }) },
      { key: "trigger", label: "Trigger" }, { key: "version", label: "Version" },
      { key: "enabled", label: "Enabled", format: v => pill(v ? "on" : "off", { on: "ok", off: "warn" }) },
      { key: "active_from", label: "Acts on", format: v => `acts on facts from ${when(v)}` },
      { key: "id", label: "Runs", format: v => h("a", { href: `#/workflow-runs?rule_id=${v}`, text: "history" }) },
    ], rules));
    const editing = rules.find(r => r.id === params.edit);
    el.append(h("h3", { text: editing ? `Edit "${editing.name}" (new version on save)` : "New rule" }));
    const result = h("div", { "aria-live": "polite" });
    const manage = ["admin", "supervisor"].includes(cx.state.me.role);
    const editor = form([{ name: "source", label: "Rule (YAML)", type: "textarea", value: editing ? editing.source : EXAMPLE }], async v => {
      const report = await api("/v1/workflows/dry-run", { method: "POST", body: { source: v.source } });
      result.replaceChildren(h("div", { class: "card" }, h("strong", { text: `Dry run: would have run ${report.would_run} time(s)` }),
        h("p", { class: "muted", text: `${report.events_examined} past events, ${report.subjects_evaluated} subjects evaluated; nothing was executed.` }),
        report.examples.length ? table([{ key: "at", label: "When", format: when }, { key: "subject", label: "Subject" },
          { key: "steps", label: "Would do", format: s => s.map(x => x.kind).join(" → ") }], report.examples.slice(0, 10)) : null));
    }, { submit: "Validate and dry run" });
    editor.querySelector("textarea").rows = 14;
    el.append(editor, result);
    if (manage) {
      el.append(h("div", { class: "row" }, h("button", { text: "Save rule", onclick: async () => {
        try {
          const saved = await api("/v1/workflows/rules", { method: "POST", body: { source: editor.querySelector("textarea").value } });
          notify(`Saved "${saved.name}" version ${saved.version}`); cx.go("workflows", { edit: saved.id });
        } catch (e) { notify(e.message, "error"); result.replaceChildren(h("p", { class: "bad", role: "alert", text: e.message })); }
      } }), editing ? h("button", { class: "secondary", text: editing.enabled ? "Disable" : "Enable", onclick: async () => {
        try { await api(`/v1/workflows/rules/${editing.id}/enabled?value=${!editing.enabled}`, { method: "POST" }); cx.go("workflows", { edit: editing.id, t: Date.now() }); }
        catch (e) { notify(e.message, "error"); } } }) : null));
      if (editing && editing.enabled) {
        // Acting on the past is explicit: a backfill over facts since a date (the rule acts on new ones by itself).
        const since = h("input", { type: "date", id: "backfill-since", value: new Date(Date.now() - 7 * 864e5).toISOString().slice(0, 10) });
        el.append(h("div", { class: "row" }, h("label", { for: "backfill-since" }, "Also act on past facts since ", since),
          h("button", { class: "secondary", text: "Backfill", onclick: async () => {
            try {
              const r = await api(`/v1/workflows/rules/${editing.id}/backfill`, { method: "POST", body: { since: `${since.value}T00:00:00Z` } });
              result.replaceChildren(h("div", { class: "card", "data-testid": "backfill" }, h("strong", { text: `Backfill: ${r.runs_created} run(s) started` }),
                h("p", { class: "muted", text: `${r.events_examined} events and ${r.subjects_evaluated} subjects since ${since.value}; ` +
                  `${r.runs_already_present} already had a run` + (r.more_events ? "; older events were left out (narrow the window)" : "") })));
            } catch (e) { notify(e.message, "error"); result.replaceChildren(h("p", { class: "bad", role: "alert", text: e.message })); }
          } })));
      }
    }
  } });

  cx.page({ id: "workflow-runs", title: "Run history", section: "Automate", order: 71, roles: READ, async render(el, params) {
    const q = new URLSearchParams({ limit: 100 }); if (params.rule_id) q.set("rule_id", params.rule_id); if (params.status) q.set("status", params.status);
    const runs = await api(`/v1/workflows/runs?${q}`);
    el.append(table([{ key: "created_at", label: "When", format: when },
      { key: "status", label: "Status", format: v => pill(v, { succeeded: "ok", failed: "bad", loop_stopped: "warn" }) },
      { key: "subject", label: "Subject", format: v => v ? h("a", { href: `#/interaction?id=${v}`, text: v.slice(0, 8) }) : "–" },
      { key: "steps", label: "Steps", format: s => h("ol", {}, s.map(x => h("li", { text: `${x.kind}: ${x.status} — ${x.detail}` }))) }], runs));
  } });

  cx.page({ id: "workflow-tasks", title: "Tasks and approvals", section: "Automate", order: 72, roles: READ, async render(el) {
    const tasks = await api("/v1/workflows/tasks?limit=200");
    const manage = ["admin", "supervisor"].includes(cx.state.me.role);
    const decide = (t, decision) => async () => {
      const reason = t.kind === "approval" ? prompt(`Reason to ${decision}:`) : "";
      if (t.kind === "approval" && !reason) return;
      try { await api(`/v1/workflows/tasks/${t.id}/decision`, { method: "POST", body: { decision, reason } }); cx.go("workflow-tasks", { t: Date.now() }); }
      catch (e) { notify(e.message, "error"); }
    };
    el.append(table([{ key: "created_at", label: "Created", format: when }, { key: "kind", label: "Kind" }, { key: "team", label: "Team" },
      { key: "title", label: "Title" }, { key: "status", label: "Status", format: v => pill(v, { done: "ok", approved: "ok", rejected: "bad", expired: "warn", pending: "warn" }) },
      { key: "id", label: "Action", format: (v, t) => !manage ? "–" : t.kind === "approval" && t.status === "pending"
        ? h("span", {}, h("button", { text: "Approve", onclick: decide(t, "approve") }), " ", h("button", { class: "secondary", text: "Reject", onclick: decide(t, "reject") }))
        : t.status === "open" ? h("button", { class: "secondary", text: "Mark done", onclick: decide(t, "done") }) : "–" }], tasks));
    const notes = await api("/v1/workflows/notifications?limit=50");
    el.append(h("h3", { text: "Notifications" }), table([{ key: "created_at", label: "When", format: when }, { key: "level", label: "Level" },
      { key: "message", label: "Message" }], notes));
    const letters = await api("/v1/workflows/dead-letters");
    el.append(h("h3", { text: "Dead-lettered webhooks" }), table([{ key: "created_at", label: "When", format: when }, { key: "url", label: "URL" },
      { key: "error", label: "Error" }, { key: "attempts", label: "Attempts" },
      { key: "id", label: "Replay", format: (v, r) => r.replayed_at ? "replayed" : manage ? h("button", { class: "secondary", text: "Replay", onclick: async () => {
        try { await api(`/v1/workflows/dead-letters/${v}/replay`, { method: "POST" }); notify("Delivered"); cx.go("workflow-tasks", { t: Date.now() }); } catch (e) { notify(e.message, "error"); } } }) : "–" }], letters));
  } });
})();
