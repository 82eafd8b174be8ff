/* Knowledge hub pages: sources (add, sync, runs), search and answer with citations, knowledge health. */
(function () {
  "use strict";
  const { h, api, table, kpi, form, notify } = window.cx;
  const ALL = ["admin", "supervisor", "analyst", "agent", "service"];
  const READ = ["admin", "supervisor", "analyst"];
  const MANAGE = ["admin", "supervisor"];
  const KINDS = ["markdown", "html", "pdf", "faq", "zendesk", "confluence", "jsonl"];
  const when = v => (v ? v.slice(0, 16).replace("T", " ") : "–");
  const list = v => (v && v.length ? v.join(", ") : "all");
  const pct = v => (v === null || v === undefined ? "–" : (100 * v).toFixed(0) + "%");
  const section = (title, ...children) => h("section", { class: "card", "aria-label": title }, h("h3", { text: title }), ...children);
  const canManage = () => cx.state.me && MANAGE.includes(cx.state.me.role);
  const split = v => (v || "").split(",").map(s => s.trim()).filter(Boolean);

  function runSummary(run) {
    const box = h("div", { "aria-live": "polite" },
      h("p", { text: `+${run.added} added · ${run.changed} changed · ${run.removed} removed · ${run.unchanged} unchanged · ${run.errors.length} file error(s)` }));
    if (run.errors.length) box.append(table([{ key: "file", label: "File" }, { key: "message", label: "Problem" }], run.errors));
    return box;
  }

  async function sourcesPage(el) {
    const sources = await api("/v1/knowledge/sources");
    const out = h("div", { "aria-live": "polite" });
    const columns = [
      { key: "name", label: "Source" }, { key: "kind", label: "Format" }, { key: "owner", label: "Owner" },
      { key: "audience_roles", label: "Roles", format: list }, { key: "regions", label: "Regions", format: list },
      { key: "tiers", label: "Tiers", format: list }, { key: "review_interval_days", label: "Review every (days)" },
      { key: "last_reviewed_at", label: "Last reviewed", format: when },
      { key: "last_synced_at", label: "Last sync", format: when },
    ];
    if (canManage()) {
      columns.push({ key: "id", label: "Actions", format: (id, row) => h("div", { class: "row" },
        cx.button(`Sync ${row.name}`, async () => {
          const run = await api(`/v1/knowledge/sources/${id}/sync`, { method: "POST" });
          notify(`${row.name} synced${run.errors.length ? ` with ${run.errors.length} file error(s)` : ""}`, "ok");
          out.replaceChildren(h("h4", { text: `Sync of ${row.name}` }), runSummary(run));
        }),
        cx.button(`Mark ${row.name} reviewed`, async () => {
          const r = await api(`/v1/knowledge/sources/${id}/reviewed`, { method: "POST", body: {} });
          notify(`${row.name}: ${r.articles_reviewed} article(s) reviewed today; next review in ${row.review_interval_days} days`, "ok");
          cx.go("kb-sources", { t: Date.now() });
        }, { class: "secondary" })) });
    }
    el.append(section("Sources", sources.length ? table(columns, sources) : h("p", { class: "muted", text: "No knowledge source yet." })), out);
    if (!canManage()) return;
    el.append(section("Add a source", form([
      { name: "name", label: "Name", type: "text", required: true, pattern: "[\\w.:\\-]+",
        patternHint: "use letters, digits, '_', '.', ':' or '-' (no spaces)" },
      { name: "kind", label: "Format", type: "select", options: KINDS },
      { name: "path", label: "Folder or file on the server", type: "text", required: true },
      { name: "owner", label: "Owner", type: "text", required: true },
      { name: "audience_roles", label: "Roles allowed (comma-separated, empty = all)", type: "text" },
      { name: "regions", label: "Regions (comma-separated, empty = all)", type: "text" },
      { name: "tiers", label: "Customer tiers (comma-separated, empty = all)", type: "text" },
      { name: "review_interval_days", label: "Review every (days)", type: "number", integer: true, min: 1, max: 3650, required: true, value: 180 },
    ], async v => {
      await api("/v1/knowledge/sources", { method: "POST", body: {
        name: v.name, kind: v.kind, path: v.path, owner: v.owner, audience_roles: split(v.audience_roles),
        regions: split(v.regions), tiers: split(v.tiers), review_interval_days: v.review_interval_days,
      } });
      notify("Source added", "ok"); cx.go("kb-sources", {});
    }, { submit: "Add source" })));
  }

  // An article's freshness for this caller: current, review overdue, or superseded by a newer conflicting article
  // (the notes say which, and what it states).
  const FRESH = { current: ["current", "ok"], review_overdue: ["review overdue", "warn"], superseded: ["superseded", "bad"] };
  function freshness(f) {
    if (!f) return "–";
    const [text, kind] = FRESH[f.status] || [f.status, ""];
    return h("div", { "data-testid": "freshness" }, h("span", { class: "pill " + kind, text }),
      ...(f.notes || []).map(n => h("div", { class: "muted small", text: n })));
  }

  function resultsTable(rows) {
    return table([
      { key: "confidence", label: "Confidence", format: pct },
      { key: "freshness", label: "Status", format: freshness },
      { key: "citation", label: "Article", format: c => h("span", { text: c.title }) },
      { key: "citation", label: "Section", format: c => c.section || "–" },
      { key: "citation", label: "Source", format: c => c.source },
      { key: "citation", label: "Last reviewed", format: c => c.last_reviewed_at ? when(c.last_reviewed_at) : `never (first synced ${when(c.first_synced_at)})` },
      { key: "text", label: "Passage", format: t => h("span", { text: t.length > 300 ? t.slice(0, 300) + "…" : t }) },
    ], rows);
  }

  async function searchPage(el, params) {
    el.append(form([
      { name: "query", label: "Question", type: "textarea", value: params.query || "" },
      { name: "region", label: "Customer region (optional)", type: "text", value: params.region || "" },
      { name: "tier", label: "Customer tier (optional)", type: "text", value: params.tier || "" },
      { name: "mode", label: "Retrieval", type: "select", value: params.mode || "hybrid", options: ["hybrid", "bm25"] },
    ], v => cx.go("kb-search", v), { submit: "Search" }));
    if (!params.query) { el.append(h("p", { class: "muted", text: "Ask a question: results show only what your role and the customer's region and tier may see." })); return; }
    const body = { query: params.query, k: 8, mode: params.mode || "hybrid" };
    if (params.region) body.region = params.region;
    if (params.tier) body.tier = params.tier;
    const [found, answer] = await Promise.all([
      api("/v1/knowledge/search", { method: "POST", body }),
      api("/v1/knowledge/answer", { method: "POST", body: { ...body, k: 5 } }),
    ]);
    if (found.note) el.append(h("p", { class: "muted", role: "status", text: found.note }));
    const warnings = (answer.warnings || []).length
      ? h("ul", { class: "warn", role: "alert", "data-testid": "answer-warnings" }, answer.warnings.map(w => h("li", { text: w })))
      : "";
    el.append(section("Answer", h("p", { text: answer.answered ? `Grounded (confidence ${pct(answer.confidence)}): ${answer.reason}` : `Abstained: ${answer.reason}` }),
      warnings, answer.passages.length ? resultsTable(answer.passages) : ""));
    el.append(section(`Search results (${found.mode})`, found.results.length ? resultsTable(found.results) : h("p", { class: "muted", text: "Nothing matched." })));
  }

  async function healthPage(el) {
    const [report, resolution] = await Promise.all([api("/v1/knowledge/health"), api("/v1/knowledge/attributions/articles")]);
    el.append(h("div", { class: "grid" },
      kpi("Readiness", `${report.readiness}/100`, "100 = no known integration tax"),
      kpi("Articles", report.articles), kpi("Conflicts", report.conflicts.length), kpi("Near-duplicates", report.duplicates.length),
      kpi("Stale", report.stale.length), kpi("Coverage gaps", report.coverage_gaps.length)));
    el.append(section("Why not 100 (worst first)", report.reasons.length
      ? table([{ key: "points", label: "Points lost" }, { key: "reason", label: "Reason" }, { key: "count", label: "Count" }], report.reasons)
      : h("p", { class: "muted", text: "No deductions." })));
    el.append(section("Worst articles", table([{ key: "issues", label: "Issues" }, { key: "title", label: "Article" }], report.worst_articles)));
    const named = (t, src) => `${t} (${src})`;
    el.append(section("Conflicts", table([{ key: "unit", label: "About" },
      { key: "a_title", label: "One article", format: (v, r) => named(v, r.a_source) }, { key: "a_says", label: "says" },
      { key: "b_title", label: "Other article", format: (v, r) => named(v, r.b_source) }, { key: "b_says", label: "says" },
      { key: "similarity", label: "Topic similarity" }], report.conflicts)));
    el.append(section("Stale articles", table([{ key: "title", label: "Article" }, { key: "reasons", label: "Why", format: r => r.join("; ") }], report.stale)));
    el.append(section("Coverage gaps", table([{ key: "intent", label: "Intent" }, { key: "interactions", label: "Interactions" },
      { key: "best_confidence", label: "Best match", format: pct }, { key: "best_article", label: "Closest article", format: v => v || "–" },
      { key: "evidence", label: "Evidence", format: (v, r) => r.sampled ? `${r.answered} of ${r.sampled} customer questions answered` : "intent name only (no transcripts)" }],
      report.coverage_gaps)));
    el.append(section("Near-duplicates across sources", table([{ key: "a_title", label: "Article", format: (v, r) => named(v, r.a_source) },
      { key: "b_title", label: "Duplicate", format: (v, r) => named(v, r.b_source) }, { key: "similarity", label: "Similarity" }], report.duplicates)));
    el.append(section("Which articles resolve (attribution)", table([{ key: "title", label: "Article" }, { key: "interactions", label: "Interactions" },
      { key: "resolved", label: "Resolved" }, { key: "resolution_rate", label: "Resolution rate", format: pct }], resolution)));
  }

  cx.page({ id: "kb-sources", title: "Sources", section: "Knowledge", order: 1, roles: READ, render: sourcesPage });
  cx.page({ id: "kb-search", title: "Search", section: "Knowledge", order: 2, roles: ALL, render: searchPage });
  cx.page({ id: "kb-health", title: "Health", section: "Knowledge", order: 3, roles: READ, render: healthPage });
})();
