/* Readiness: a score per pillar with its evidence, the trajectory diagnosis, the three next steps with most gain. */
(function () {
  "use strict";
  const { h, api, chart, kpi } = window.cx;
  cx.page({ id: "readiness", title: "Readiness", section: "Prove value", order: 62, roles: ["admin", "supervisor", "analyst"], async render(el) {
    const r = await api("/v1/readiness");
    el.append(h("div", { class: "grid" }, kpi("Overall readiness", r.overall, r.unmeasured.length
      ? `0-100, weighted mean of the measured pillars (${cx.num(r.measured_weight)} of 100 weight; not measured: ${r.unmeasured.join(", ")})`
      : "0-100, weighted pillars"),
      h("div", { class: "kpi", role: "group", "aria-label": "Trajectory" }, h("div", { class: "label", text: "Trajectory" }),
        h("div", { class: "value", "data-testid": "trajectory", text: r.trajectory }), h("div", { class: "hint", text: r.trajectory_evidence.join("; ") }))));
    el.append(chart.bar({ title: "Score per pillar", labels: r.pillars.map(p => p.name), series: [{ name: "score", values: r.pillars.map(p => p.score ?? 0) }] }));
    el.append(h("h3", { text: "Next steps with the largest expected gain" }),
      h("ol", { "data-testid": "next-steps" }, r.next_steps.map(s => h("li", { text: `${s.action} — +${cx.num(s.expected_overall_gain)} overall (${s.pillar} +${cx.num(s.pillar_points)})` }))));
    el.append(h("h3", { text: "Evidence" }));
    for (const p of r.pillars) el.append(h("section", { class: "card", "aria-label": p.name },
      h("strong", { text: `${p.name}: ${p.score === null ? "not measured, left out of the overall" : p.score} (weight ${p.weight})` }), h("ul", {}, p.evidence.map(e => h("li", { text: e })))));
  } });
})();
