/* Workflows: rule editor with dry run, run history with each step, tasks and approvals, notifications, dead letters. */
(function () {
  "use strict";
  const { h, api, table, form, notify } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  // The built-in example uses the demo's refund intent and its supervisors' task queue; when the organisation's
  // escalated calls carry other intents, the editor puts their most frequent one in its place (see example()).
  const EXAMPLE_INTENT = "refund_request";
  const exampleRule = intent => `name: Review escalated ${intent.replace(/_/g, " ")} calls
trigger: interaction_ended
conditions:
  - {field: outcome, op: eq, value: escalated}
  - {field: intent, op: eq, value: ${intent}}
steps:
  - tag: {tags: [needs-review]}
  - create_task: {team: supervisors, title: "Check escalated ${intent.replace(/_/g, " ")} interaction {interaction_id}"}
  - notify: {message: "Escalated ${intent.replace(/_/g, " ")} call on {channel}", level: warning}
`;
  async function example() {
    const recent = await api("/v1/interactions?outcome=escalated&limit=200").catch(() => null);
    const counts = new Map();
    for (const it of (recent && recent.items) || []) if (it.intent && /^[\w.:-]+$/.test(it.intent)) counts.set(it.intent, (counts.get(it.intent) || 0) + 1);
    if (!counts.size || counts.has(EXAMPLE_INTENT)) return exampleRule(EXAMPLE_INTENT);
    return exampleRule([...counts].sort((a, b) => b[1] - a[1])[0][0]);
  }
  // What a trigger's subjects are, to say what a dry run or a backfill looked at.
  const SUBJECTS = { interaction_ended: "interactions", qa_scored_below_threshold: "QA evaluations", interaction_tagged: "tagged interactions" };
  const scanned = (r, trigger) => `${cx.num(r.subjects_evaluated)} ${SUBJECTS[trigger] || "subjects"} checked against the conditions ` +
    `(from ${cx.num(r.events_examined)} stored ${r.events_examined === 1 ? "event" : "events"})`;
  const triggerOf = source => ((/^trigger:\s*([\w]+)/m.exec(source) || [])[1] || "");
  const when = v => (v ? v.slice(0, 16).replace("T", " ") : "–");
  const pill = (v, map) => h("span", { class: "pill " + (map[v] || ""), text: v });
  // A run's subject is the interaction it acted on (none for events about other things): a link, the id as tooltip.
  const subjectLink = v => (v ? h("a", { href: `#/interaction?id=${encodeURIComponent(v)}`, title: v, text: "Interaction" }) : "–");
  // Text that embeds ids (a task title made from a template, a step's detail): each id becomes what it names when
  // known (`known(id)`: a node or text, e.g. a task's title), else its short form with the whole id as tooltip.
  const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
  const withIds = (raw, known) => {
    const text = String(raw || ""), out = []; let last = 0;
    for (const m of text.matchAll(UUIDS)) {
      out.push(text.slice(last, m.index), (known && known(m[0])) || cx.shortId(m[0])); last = m.index + m[0].length;
    }
    out.push(text.slice(last));
    return h("span", {}, out);
  };
  const ruleNames = async () => new Map((await api("/v1/workflows/rules").catch(() => [])).map(r => [r.id, r.name]));
  const human = v => String(v || "").replace(/_/g, " ");
  const RUN_STATUS = { succeeded: "ok", failed: "bad", "loop stopped": "warn", "awaiting approval": "warn", rejected: "bad", expired: "warn" };
  // One step of a run: what it did; an approval step also says how it was decided (steps after it wait for that).
  const stepItem = (x, known) => h("li", {}, `${human(x.kind)}: ${x.status} — `, withIds(x.detail, known),
    x.decision ? ` · ${x.decision}${x.decision_reason ? `: \u201c${x.decision_reason}\u201d` : ""}` : null);

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
    const editor = form([{ name: "source", label: "Rule (YAML)", type: "textarea", required: true, value: editing ? editing.source : await example() }], async v => {
      const report = await api("/v1/workflows/dry-run", { method: "POST", body: { source: v.source } });
      result.replaceChildren(h("div", { class: "card", "data-testid": "dry-run" }, h("strong", { text: `Dry run: would have run ${cx.num(report.would_run)} ${report.would_run === 1 ? "time" : "times"}` }),
        h("p", { class: "muted", text: `${scanned(report, triggerOf(v.source))}; nothing was executed.` }),
        report.examples.length ? table([{ key: "at", label: "When", format: when }, { key: "subject", label: "Subject", format: subjectLink },
          { key: "steps", label: "Would do", format: s => s.map(x => (x.when === "after approval" ? `${x.kind} (after approval)` : x.kind)).join(" → ") }], report.examples.slice(0, 10)) : null));
    }, { submit: "Validate and dry run" });
    editor.querySelector("textarea").rows = 14;
    el.append(editor, result);
    if (manage) {
      el.append(h("div", { class: "row" }, cx.button("Save rule", async () => {
        const saved = await api("/v1/workflows/rules", { method: "POST", body: { source: editor.querySelector("textarea").value } });
        notify(`Saved "${saved.name}" version ${saved.version}`); cx.go("workflows", { edit: saved.id });
      }), editing ? cx.button(editing.enabled ? "Disable" : "Enable", async () => {
        await api(`/v1/workflows/rules/${editing.id}/enabled?value=${!editing.enabled}`, { method: "POST" }); cx.go("workflows", { edit: editing.id, t: Date.now() });
      }, { class: "secondary" }) : null));
      if (editing && editing.enabled) {
        // Acting on the past is explicit: a backfill over facts since a date (the rule acts on new ones by itself).
        const since = h("input", { type: "date", id: "backfill-since", value: new Date(Date.now() - 7 * 864e5).toISOString().slice(0, 10) });
        el.append(h("div", { class: "row" }, h("label", { for: "backfill-since" }, "Also act on past facts since ", since),
          cx.button("Backfill", async () => {
            if (!since.value) throw new Error("choose the date to act on past facts from");
            const r = await api(`/v1/workflows/rules/${editing.id}/backfill`, { method: "POST", body: { since: `${since.value}T00:00:00Z` } });
            result.replaceChildren(h("div", { class: "card", "data-testid": "backfill" }, h("strong", { text: `Backfill: ${r.runs_created} run(s) started` }),
              h("p", { class: "muted", text: `${scanned(r, editing.trigger)} since ${since.value}; ` +
                `${cx.num(r.runs_already_present)} already had a run` + (r.more_events ? "; older events were left out (narrow the window)" : "") })));
          }, { class: "secondary" })));
      }
    }
  } });

  cx.page({ id: "workflow-runs", title: "Run history", section: "Automate", order: 71, roles: READ, async render(el, params) {
    const q = new URLSearchParams({ limit: 100 }); if (params.rule_id) q.set("rule_id", params.rule_id); if (params.status) q.set("status", params.status);
    const [runs, rules, tasks] = await Promise.all([api(`/v1/workflows/runs?${q}`), ruleNames(), api("/v1/workflows/tasks?limit=500").catch(() => [])]);
    // a step that made a task names it by its title (the task id stays as the tooltip)
    const titles = new Map(tasks.map(t => [t.id, t.title]));
    const task = id => (titles.has(id) ? h("a", { href: "#/workflow-tasks", title: id }, "\u201c", withIds(titles.get(id)), "\u201d") : null);
    el.append(table([{ key: "created_at", label: "When", format: when },
      { key: "rule_id", label: "Rule", format: v => (rules.has(v) ? h("a", { href: `#/workflows?edit=${v}`, title: v, text: rules.get(v) }) : cx.shortId(v)) },
      { key: "status", label: "Status", format: v => pill(human(v), RUN_STATUS) },
      { key: "subject", label: "Subject", format: subjectLink },
      { key: "steps", label: "Steps", format: s => h("ol", {}, s.map(x => stepItem(x, task))) }], runs));
  } });

  cx.page({ id: "workflow-tasks", title: "Tasks and approvals", section: "Automate", order: 72, roles: READ, async render(el) {
    const [tasks, runs, rules] = await Promise.all([api("/v1/workflows/tasks?limit=200"), api("/v1/workflows/runs?limit=500").catch(() => []), ruleNames()]);
    // what made a task: its rule, and the interaction its run acted on (the newest 500 runs)
    const runOf = new Map(runs.map(r => [r.id, r]));
    const manage = ["admin", "supervisor"].includes(cx.state.me.role);
    // Decide a task; an approved run goes on right after (the run consumer executes the steps that waited): wait a
    // few seconds for it, so the page shows what the approval did.
    const decide = async (t, decision, reason) => {
      await api(`/v1/workflows/tasks/${t.id}/decision`, { method: "POST", body: { decision, reason } });
      let run = null;
      for (let i = 0; t.kind === "approval" && t.run_id && i < 24; i++) {
        run = await api(`/v1/workflows/runs/${t.run_id}`).catch(() => null);
        if (!run || !["pending", "running"].includes(run.status)) break;
        await new Promise(done => setTimeout(done, 250));
      }
      notify(t.kind !== "approval" ? "Marked done" : `${decision === "approve" ? "Approved" : "Rejected"}` + (run ? `: the run ${human(run.status)}` : ""));
      cx.go("workflow-tasks", { t: Date.now() });
    };
    // A pending approval: the reason is asked in the page, then Approve or Reject.
    const decision = t => {
      const reason = h("input", { type: "text", maxlength: 2000, "aria-label": "Reason", placeholder: "Reason (required)", "data-testid": "decision-reason" });
      const go = verdict => async () => {
        if (!reason.value.trim()) { reason.focus(); throw new Error("give the reason for the decision"); }
        await decide(t, verdict, reason.value.trim());
      };
      return h("div", { class: "row" }, reason, cx.button("Approve", go("approve")), cx.button("Reject", go("reject"), { class: "secondary" }));
    };
    // What followed the decision of an approval: the run's steps after it (e.g. "close breaker: succeeded — breaker
    // agent ai-kai closed"), or that they wait, run, or were skipped.
    const afterDecision = t => {
      const run = runOf.get(t.run_id);
      if (t.kind !== "approval" || !run) return null;
      const gate = run.steps.findIndex(x => x.task_id === t.id);
      if (gate < 0) return null;
      const later = run.steps.slice(gate + 1);
      const note = t.status === "pending" ? null : later.length ? "Then:" : ["pending", "running"].includes(run.status) ? "The run is going on…" : null;
      if (!note) return null;
      return h("div", { class: "muted", "data-testid": "after-decision" }, note, later.length ? h("ul", {}, later.map(x => stepItem(x))) : null);
    };
    el.append(table([{ key: "created_at", label: "Created", format: when }, { key: "kind", label: "Kind" }, { key: "team", label: "Team" },
      { key: "title", label: "Title", format: (v, t) => { const run = runOf.get(t.run_id); return h("span", {}, withIds(v, id => (run && id === run.subject ? subjectLink(id) : null)),
        t.kind === "approval" && t.body ? h("div", { class: "muted" }, withIds(t.body)) : null); } },
      { key: "run_id", label: "From", format: v => { const run = runOf.get(v); return run ? h("span", {}, rules.get(run.rule_id) || "a rule", run.subject ? [" · ", subjectLink(run.subject)] : null) : "–"; } },
      { key: "status", label: "Status", format: (v, t) => h("div", {}, pill(v, { done: "ok", approved: "ok", rejected: "bad", expired: "warn", pending: "warn" }),
        t.decision_reason ? h("div", { class: "muted", text: `\u201c${t.decision_reason}\u201d` }) : null, afterDecision(t)) },
      { key: "id", label: "Action", format: (v, t) => !manage ? "–" : t.kind === "approval" && t.status === "pending" ? decision(t)
        : t.status === "open" ? cx.button("Mark done", () => decide(t, "done", ""), { class: "secondary" }) : "–" }], tasks));
    const notes = await api("/v1/workflows/notifications?limit=50");
    el.append(h("h3", { text: "Notifications" }), table([{ key: "created_at", label: "When", format: when }, { key: "level", label: "Level" },
      { key: "message", label: "Message" }], notes));
    const letters = await api("/v1/workflows/dead-letters");
    el.append(h("h3", { text: "Dead-lettered webhooks" }), table([{ key: "created_at", label: "When", format: when }, { key: "url", label: "URL" },
      { key: "error", label: "Error" }, { key: "attempts", label: "Attempts" },
      { key: "id", label: "Replay", format: (v, r) => r.replayed_at ? "replayed" : manage ? cx.button("Replay", async () => {
        await api(`/v1/workflows/dead-letters/${v}/replay`, { method: "POST" }); notify("Delivered"); cx.go("workflow-tasks", { t: Date.now() }); }, { class: "secondary" }) : "–" }], letters));
  } });
})();
