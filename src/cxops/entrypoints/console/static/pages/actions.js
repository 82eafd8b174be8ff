/* Governed actions: approvals queue, circuit breakers, proposals and the hash-chained audit log. */
(function () {
  "use strict";
  const { h, api, table, kpi, form, notify } = window.cx;
  const READ = ["admin", "supervisor", "analyst"];
  const MANAGE = ["admin", "supervisor"];
  const when = v => (v ? v.slice(0, 19).replace("T", " ") : "–");
  const pill = (text, kind) => h("span", { class: "pill " + (kind || ""), text });
  // Status and decision values read as words ("pending approval"); the filter still sends the value.
  const words = v => (v ? String(v).replace(/_/g, " ") : "–");
  const DECISION = { allow: "allowed", deny: "denied", require_approval: "approval required" };
  const STATUS = { executed: "ok", executing: "warn", denied: "bad", failed: "bad", compensated: "warn", pending_approval: "warn", rejected: "bad", reversed: "warn", expired: "", failed_uncompensated: "bad" };
  const rulesText = rules => (rules || []).map(r => `${r.rule_id}: ${r.reason}`).join("\n");
  const canManage = () => cx.state.me && MANAGE.includes(cx.state.me.role);

  function paramsCell(steps) {
    return h("details", {}, h("summary", { text: steps.map(s => s.action).join(" → ") }), h("pre", { text: JSON.stringify(steps.map(s => s.params), null, 1) }));
  }

  // `who`: cx.names of the queue (the customer's and the proposer's names; their references stay as tooltips).
  function reviewForm(item, who, done) {
    const box = h("section", { class: "card", "aria-label": `Review proposal ${item.id}` },
      h("h3", { title: item.customer_ref || null, text: `Review ${item.action} for ${item.customer_ref ? who.customerName(item.customer_ref) : "unknown customer"}` }),
      h("p", { class: "muted", title: item.actor_ref, text: `Proposed by ${who.agentName(item.actor_ref)} (${item.actor_role}); expires ${when(item.expires_at)}.` }),
      h("pre", { text: rulesText(item.rules) || "no rule fired" }));
    let verdict = "approve";
    const f = form([{ name: "reason", label: "Reason (recorded in the audit log)", type: "textarea" }], async v => {
      if (!v.reason || !v.reason.trim()) { notify("A reason is required.", "error"); return; }
      const out = await api(`/v1/actions/approvals/${item.id}/${verdict}`, { method: "POST", body: { reason: v.reason } });
      notify(`Proposal ${verdict === "approve" ? "approved" : "rejected"}: ${out.status}`);
      done();
    }, { submit: "Approve and execute" });
    const reject = h("button", { type: "button", class: "secondary", text: "Reject", onclick: () => { verdict = "reject"; f.requestSubmit(); } });
    f.querySelector("button[type=submit]").addEventListener("click", () => { verdict = "approve"; });
    f.lastChild.append(" ", reject);
    box.append(f);
    return box;
  }

  async function renderApprovals(el) {
    el.replaceChildren();
    const queue = await api("/v1/actions/approvals?limit=200");
    el.append(h("div", { class: "grid" }, kpi("Awaiting approval", queue.length, "proposals sent to a supervisor by policy")));
    if (!queue.length) { el.append(h("p", { class: "muted", text: "Nothing awaits approval." })); return; }
    const detail = h("div", {});
    const who = await cx.names({ customers: queue.map(r => r.customer_ref), agents: queue.map(r => r.actor_ref) });
    const columns = [
      { key: "created_at", label: "Proposed", format: when },
      { key: "steps", label: "Action", format: paramsCell },
      { key: "customer_ref", label: "Customer", format: v => who.customer(v) },
      { key: "actor_ref", label: "By", format: v => who.agent(v) },
      { key: "amount", label: "Amount" },
      { key: "rules", label: "Why", format: v => h("span", { title: rulesText(v), text: (v || []).map(r => r.rule_id).join(", ") }) },
      { key: "expires_at", label: "Expires", format: when },
    ];
    if (canManage()) columns.push({ key: "id", label: "Review", format: (v, r) => h("button", { type: "button", text: "Review", onclick: () => { detail.replaceChildren(reviewForm(r, who, () => renderApprovals(el))); detail.querySelector("textarea").focus(); } }) });
    el.append(table(columns, queue), detail);
  }

  async function renderBreakers(el) {
    el.replaceChildren();
    const rows = await api("/v1/actions/breakers");
    const open = rows.filter(b => b.is_open);
    const who = await cx.names({ agents: rows.filter(b => b.scope === "agent").map(b => b.key) });
    el.append(h("div", { class: "grid" }, kpi("Open breakers", open.length, "actions or AI agents currently blocked")));
    el.append(table([
      { key: "scope", label: "Scope" }, { key: "key", label: "Action type or agent", format: (v, r) => (r.scope === "agent" ? who.agent(v) : v) },
      { key: "is_open", label: "State", format: v => pill(v ? "open (blocked)" : "closed", v ? "bad" : "ok") },
      { key: "automatic", label: "Tripped", format: v => (v ? "automatically" : "by hand") },
      { key: "reason", label: "Reason" }, { key: "changed_at", label: "Changed", format: when },
      // the key's name; the recorded reference (key id, subject or "system") stays available for audit as a tooltip
      { key: "changed_by_name", label: "By", format: (v, r) => h("span", { title: r.changed_by || "", text: v || r.changed_by || "–" }) },
    ], rows));
    if (!canManage()) return;
    el.append(h("h3", { text: "Kill switch" }), form([
      { name: "scope", label: "Scope", type: "select", options: [["action", "action type"], ["agent", "agent (directory code)"]] },
      { name: "key", label: "Action name or agent reference", placeholder: "e.g. cancel_pending_order or ai-kai" },
      { name: "open", label: "State", type: "select", options: [["true", "open (block)"], ["false", "close (allow)"]] },
      { name: "reason", label: "Reason", type: "textarea" },
    ], async v => {
      await api("/v1/actions/breakers", { method: "POST", body: { scope: v.scope, key: v.key, open: v.open === "true", reason: v.reason } });
      notify(`Breaker ${v.open === "true" ? "opened" : "closed"} for ${v.scope} ${v.key}`);
      await renderBreakers(el);
    }, { submit: "Apply" }));
  }

  async function renderAudit(el, params) {
    el.replaceChildren();
    const check = h("div", {});
    const verify = async () => {
      const r = await api("/v1/actions/audit/verify");
      check.replaceChildren(h("p", { role: "status" }, pill(r.ok ? "chain intact" : "TAMPERED", r.ok ? "ok" : "bad"), " ",
        r.ok ? r.detail : `first bad row ${r.first_bad_row} (seq ${r.first_bad_seq}): ${r.detail}`));
    };
    el.append(h("p", {}, h("button", { type: "button", text: "Verify the hash chain", onclick: () => verify().catch(e => notify(e.message, "error")) })), check);
    const offset = Number(params.offset || 0);
    const rows = await api(`/v1/actions/audit?limit=100&offset=${offset}`);
    el.append(table([
      { key: "seq", label: "#" }, { key: "created_at", label: "When", format: when }, { key: "kind", label: "Kind" },
      { key: "proposal_id", label: "Proposal", format: cx.shortId },
      { key: "payload", label: "Record", format: (v, r) => (r.tombstoned ? pill("erased", "warn") : h("details", {}, h("summary", { text: summary(r) }), h("pre", { text: JSON.stringify(v, null, 1) }))) },
      { key: "hash", label: "Hash", format: v => h("code", { text: v.slice(0, 12) }) },
    ], rows));
    const nav = h("p", {});
    if (offset > 0) nav.append(h("a", { href: `#/actions-audit?offset=${Math.max(0, offset - 100)}`, text: "← newer" }), " ");
    if (rows.length === 100) nav.append(h("a", { href: `#/actions-audit?offset=${offset + 100}`, text: "older →" }));
    el.append(nav);
  }

  function summary(r) {
    const p = r.payload || {};
    if (p.decision) return `decision: ${p.decision} ${(p.rules || []).map(x => x.rule_id).join(", ")}`;
    if (p.status) return `execution: ${p.status}${p.error ? " - " + p.error : ""}`;
    if (p.error) return `refused input: ${p.error.message}`;
    if (p.reason) return `${r.kind}: ${p.reason}`;
    if (p.request) return `${r.kind}: ${p.request.action || (p.request.steps || []).map(s => s.action).join(" → ")} by ${p.actor}`;
    return r.kind;
  }

  async function renderProposals(el, params) {
    el.replaceChildren();
    if (cx.state.me && cx.state.me.role === "agent") el.append(h("p", { class: "muted", text: "The actions you proposed." }));
    el.append(form([{ name: "status", label: "Status", type: "select", value: params.status || "", options: [["", "any"], ...["executed", "executing", "pending_approval", "denied", "rejected", "compensated", "failed", "failed_uncompensated", "reversed", "expired"].map(v => [v, words(v)])] }],
      v => cx.go("actions-proposals", v.status ? { status: v.status } : {}), { submit: "Filter" }));
    const q = params.status ? `&status=${encodeURIComponent(params.status)}` : "";
    const rows = await api(`/v1/actions/proposals?limit=200${q}`);
    const who = await cx.names({ customers: rows.map(r => r.customer_ref), agents: rows.map(r => r.actor_ref) });
    el.append(table([
      { key: "created_at", label: "Proposed", format: when }, { key: "steps", label: "Action", format: paramsCell },
      { key: "customer_ref", label: "Customer", format: v => who.customer(v) }, { key: "actor_ref", label: "By", format: v => who.agent(v) },
      { key: "decision", label: "Decision", format: v => pill(DECISION[v] || words(v), { allow: "ok", deny: "bad", require_approval: "warn" }[v]) },
      { key: "status", label: "Status", format: v => pill(words(v), STATUS[v]) },
      { key: "rules", label: "Rules", format: v => h("span", { title: rulesText(v), text: (v || []).map(r => r.rule_id).join(", ") || "–" }) },
      { key: "error", label: "Error" },
    ], rows));
  }

  async function renderPolicies(el) {
    el.replaceChildren();
    const data = await api("/v1/actions/packs");
    for (const p of data.packs) {
      el.append(h("h3", { text: `${p.name} @ ${p.version} (${p.system})` }),
        h("p", { class: "muted", text: `${p.rules.length} rules; ${p.tests} shipped tests (cxops actions test-policy).` }),
        table([
          { key: "id", label: "Rule" }, { key: "effect", label: "Effect", format: v => pill(v, v === "deny" ? "bad" : "warn") },
          { key: "actions", label: "Actions", format: v => v.join(", ") }, { key: "reason", label: "Reason" },
          { key: "when", label: "Condition", format: v => h("code", { text: v }) },
        ], p.rules));
    }
  }

  cx.page({ id: "actions-approvals", title: "Approvals", section: "Actions", order: 1, roles: READ, render: el => renderApprovals(el) });
  // An agent sees only their own proposals (the API scopes them); approvals and breakers are not theirs to see.
  cx.page({ id: "actions-proposals", title: "Proposals", section: "Actions", order: 2, roles: [...READ, "agent"], render: (el, params) => renderProposals(el, params) });
  cx.page({ id: "actions-breakers", title: "Circuit breakers", section: "Actions", order: 3, roles: READ, render: el => renderBreakers(el) });
  cx.page({ id: "actions-policies", title: "Policies", section: "Actions", order: 5, roles: READ, render: el => renderPolicies(el) });
  cx.page({ id: "actions-audit", title: "Audit log", section: "Actions", order: 4, roles: READ, render: (el, params) => renderAudit(el, params) });
})();
