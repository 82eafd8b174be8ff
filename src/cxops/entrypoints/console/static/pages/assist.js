/* Real-time assist: the agent desktop (pick a live interaction or replay a demo call) and the supervisor board
   with live alerts. Both talk to the server over WebSockets authenticated by the console session cookie. */
(function () {
  "use strict";
  const { h, api, table, kpi, fmt } = window.cx;
  const DESK = ["admin", "supervisor", "agent", "service"];
  const BOARD = ["admin", "supervisor"];
  const wsUrl = path => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
  const sevPill = s => h("span", { class: "pill " + (s === "critical" ? "bad" : "warn"), text: s });
  const sentimentText = v => v && v.score !== null ? `${fmt(v.score)} (${v.trend})` : "–";

  // A scripted demo call: an upset customer, an agent who follows the guide but never gives the recording disclosure.
  const DEMO_CALL = [
    ["agent", "Hello, you're through to Sam, how can I help?"],
    ["customer", "Hi, my parcel was supposed to arrive last week and it still hasn't come, this is really frustrating."],
    ["agent", "I'm sorry to hear that. Can I take your name and postcode to verify the account?"],
    ["customer", "Sure, it's Alex Morgan, postcode 10115."],
    ["agent", "Thank you, you're verified. Do you have the order or tracking number?"],
    ["customer", "Tracking number 1Z8837261540. Honestly this is ridiculous, it's the third time this has happened."],
    ["agent", "Let me check. Tracking 1Z8837261540 shows it left our depot on Monday."],
    ["customer", "I want a refund for the delivery charge, this is unacceptable."],
    ["agent", "The parcel is covered by our delivery guarantee. Just to confirm, shall I go ahead and refund the delivery fee?"],
    ["customer", "Yes, please."],
    ["agent", "Done. I've refunded the delivery fee and the courier has it scheduled for tomorrow morning."],
    ["customer", "Okay, thank you."],
  ];

  function assistPanel() {
    const parts = {
      status: h("p", { class: "muted", role: "status", "aria-live": "polite", text: "Not connected." }),
      transcript: h("div", { class: "transcript card", "aria-label": "Transcript" }),
      intent: h("div", { class: "card", "aria-label": "Intent" }, h("h3", { text: "Intent" }), h("p", { class: "muted", text: "–" })),
      sentiment: h("div", { class: "card", "aria-label": "Sentiment" }, h("h3", { text: "Sentiment" }), h("p", { class: "muted", text: "–" })),
      step: h("div", { class: "card", "aria-label": "Next best step" }, h("h3", { text: "Next best step" }), h("p", { class: "muted", text: "–" })),
      suggestions: h("div", { class: "card", "aria-label": "Knowledge suggestions" }, h("h3", { text: "Suggestions" }), h("p", { class: "muted", text: "No suggestions yet." })),
      compliance: h("div", { class: "card", "aria-label": "Compliance" }, h("h3", { text: "Compliance" }), h("p", { class: "muted", text: "–" })),
      alerts: h("div", { class: "card", "aria-label": "Alerts", "data-testid": "desk-alerts" }, h("h3", { text: "Alerts" })),
      timings: h("p", { class: "muted", "aria-label": "Timings" }),
      trust: h("p", { class: "muted", "aria-label": "Trust" }),
      used: h("p", { class: "muted", "data-testid": "used-articles", "aria-live": "polite" }),
    };
    parts.root = h("div", {}, parts.status,
      h("div", { class: "grid" }, parts.intent, parts.sentiment, parts.step),
      parts.suggestions, parts.used, parts.compliance, parts.alerts, parts.trust, parts.timings, h("h3", { text: "Transcript" }), parts.transcript);
    let lastSeq = -1;
    // "Used" on a suggestion tells the server (a `used` attribution of the article when the call ends); the
    // server's `used` frame confirms it, and the button stays marked across later suggestions
    const titles = new Map(), used = new Set();
    const useButton = s => h("button", { type: "button", "data-article": s.article_id, disabled: used.has(s.article_id),
      text: used.has(s.article_id) ? "Used ✓" : "Used", title: "I used this suggestion",
      onclick: () => { if (parts.ws && parts.ws.readyState === 1) parts.ws.send(JSON.stringify({ type: "used", article_id: s.article_id })); } });
    parts.show = f => {
      if (f.type === "used") {
        used.add(f.article_id);
        for (const b of parts.suggestions.querySelectorAll("button[data-article]")) if (b.dataset.article === f.article_id) { b.disabled = true; b.textContent = "Used ✓"; }
        parts.used.textContent = `Used in this call: ${[...used].map(id => titles.get(id) || id).join("; ")}`;
        return;
      }
      if (f.type === "started" || f.type === "trust") {
        if (f.trust) parts.trust.textContent = `Routing advice: ${f.trust.route} (trust ${f.trust.score})` + (f.trust.memory.length ? ` · remembered: ${f.trust.memory.map(m => m.content).join("; ")}` : "");
        if (f.type === "started") parts.status.textContent = `Live interaction ${f.external_id}${f.resumed ? " (resumed)" : ""}.`;
        return;
      }
      if (f.type === "error") { parts.alerts.append(h("p", { class: "bad", role: "alert", text: `${f.code}: ${f.message}` })); return; }
      if (f.type === "ended") {
        parts.status.textContent = `Interaction ended with ${f.turns} turns.`;
        for (const b of parts.suggestions.querySelectorAll("button[data-article]")) b.disabled = true;  // nothing more can be marked
        return;
      }
      if (f.type !== "assist" || f.seq < lastSeq) return;  // stale suggestions are dropped by seq
      lastSeq = f.seq;
      const top = f.intent ? f.intent.top.map(t => `${t.label} ${Math.round(t.p * 100)}%`).join(" · ") : "no intent model";
      parts.intent.replaceChildren(h("h3", { text: "Intent" }), h("p", { text: f.call_intent || "not yet clear" }),
        // the call's intent (above) accumulates over the call; this line is the latest customer line's own reading,
        // which read as a contradiction when it was only "out of scope · password_reset 42%" under "delivery_late"
        h("p", { class: "muted", text: !f.intent ? top : f.intent.out_of_scope ? `latest line: no clear intent of its own (closest: ${top})` : `latest line: ${top}` }));
      parts.sentiment.replaceChildren(h("h3", { text: "Sentiment" }),
        h("p", { text: `Customer ${sentimentText(f.sentiment.customer)}` }), h("p", { text: `Agent ${sentimentText(f.sentiment.agent)}` }),
        h("p", { class: f.escalation_risk >= 0.6 ? "bad" : "muted", text: `Escalation risk ${fmt(f.escalation_risk)}` }));
      const st = f.next_step;
      // (replaceChildren and append turn null into the text "null": leave optional parts out instead)
      parts.step.replaceChildren(...[h("h3", { text: "Next best step" }), h("p", { "data-testid": "next-step", text: st.title }),
        st.hint ? h("p", { class: "muted", text: st.hint }) : null, h("p", { class: "muted", text: `${st.done} of ${st.of} steps done (${st.guide})` })].filter(Boolean));
      if (f.speaker === "customer") {
        parts.suggestions.replaceChildren(h("h3", { text: "Suggestions" }), f.suggestions.length
          ? h("ul", { "data-testid": "suggestions" }, f.suggestions.map(s => { titles.set(s.article_id, s.title); return h("li", {}, h("strong", { text: `${s.title} § ${s.section || ""}` }), ` (${Math.round(s.confidence * 100)}%) `, h("span", { class: "muted", text: s.text.slice(0, 160) }), " ", useButton(s)); }))
          : h("p", { class: "muted", text: "No matching knowledge." }));
      }
      parts.compliance.replaceChildren(h("h3", { text: "Compliance" }), f.compliance.length
        ? h("ul", {}, f.compliance.map(c => h("li", { class: c.kind === "prohibited" || c.overdue ? "bad" : "warn", text: c.kind === "prohibited" ? `Said "${c.phrase}": ${c.title}` : `${c.title}${c.overdue ? " (overdue)" : ` (within ${c.turns_left} turns)`}` })))
        : h("p", { class: "ok", text: "Nothing outstanding." }));
      for (const a of f.alerts) parts.alerts.append(h("p", { role: "alert" }, sevPill(a.severity), ` ${a.kind.replace(/_/g, " ")}: ${a.message}`));
      const t = f.timings_ms;
      parts.timings.textContent = `seq ${f.seq} · total ${fmt(t.total)} ms (parse ${fmt(t.parse)}, intent ${fmt(t.intent)}, sentiment ${fmt(t.sentiment)}, retrieval ${fmt(t.retrieval)}, trust ${fmt(t.trust)}) · batch ${f.batch}`;
    };
    parts.say = (speaker, text) => parts.transcript.append(h("p", {}, h("strong", { text: `${speaker}: ` }), text));
    return parts;
  }

  function connect(ref, panel, onOpen) {
    const ws = new WebSocket(wsUrl(`/v1/assist/live/${encodeURIComponent(ref)}`));
    panel.ws = ws;
    const stop = () => { if (ws.readyState <= 1) ws.close(); window.removeEventListener("hashchange", stop); };
    window.addEventListener("hashchange", stop);
    ws.onmessage = ev => panel.show(JSON.parse(ev.data));
    ws.onclose = ev => { if (ev.code !== 1000 && ev.code !== 1005) panel.status.textContent = `Disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""}).`; };
    ws.onopen = () => onOpen && onOpen(ws);
    return ws;
  }

  async function replay(panel, delayMs) {
    const ref = `console-replay-${Date.now()}`;
    const ws = connect(ref, panel, () => ws.send(JSON.stringify({ type: "start", source: "replay", channel: "voice", customer: { external_id: "demo-customer-1" } })));
    await new Promise(resolve => ws.addEventListener("message", function first(ev) { if (JSON.parse(ev.data).type === "started") { ws.removeEventListener("message", first); resolve(); } }));
    let offset = 0;
    for (let seq = 0; seq < DEMO_CALL.length; seq++) {
      if (ws.readyState !== 1) return;
      const [speaker, text] = DEMO_CALL[seq];
      panel.say(speaker, text);
      ws.send(JSON.stringify({ type: "segment", seq, speaker, text, begin_ms: offset, end_ms: offset + 2500 }));
      offset += 3000;
      await new Promise(r => setTimeout(r, delayMs));
    }
    if (ws.readyState === 1) ws.send(JSON.stringify({ type: "end", outcome: "resolved" }));
  }

  cx.page({ id: "assist-desk", title: "Agent assist", section: "Assist", order: 60, roles: DESK, async render(el, params) {
    const panel = assistPanel();
    const calls = await api("/v1/assist/calls");
    const controls = h("div", { class: "row" },
      h("button", { type: "button", text: "Replay a demo call", onclick: ev => { ev.target.disabled = true; replay(panel, Number(params.delay || 900)); } }));
    el.append(h("p", { class: "muted", text: "Suggestions, intent, sentiment, next step and compliance reminders update with every segment of the live call." }), controls);
    if (calls.length) {
      el.append(h("h3", { text: "Live interactions" }), table([{ key: "external_id", label: "Interaction" }, { key: "agent", label: "Agent" },
        { key: "intent", label: "Intent" }, { key: "segments", label: "Segments" },
        { key: "interaction_id", label: "", format: v => h("button", { type: "button", text: "Assist", onclick: () => connect(v, panel) }) }], calls));
    } else {
      el.append(h("p", { class: "muted", text: "No live interactions right now: replay a demo call." }));
    }
    el.append(panel.root);
  } });

  cx.page({ id: "assist-board", title: "Supervisor board", section: "Assist", order: 61, roles: BOARD, async render(el, params) {
    const status = h("p", { class: "muted", role: "status", "aria-live": "polite", text: "Connecting…" });
    const board = h("div", { "data-testid": "board" });
    const alerts = h("div", { class: "card", "data-testid": "board-alerts", "aria-label": "Live alerts" }, h("h3", { text: "Alerts" }));
    el.append(status, board, alerts);
    const calls = new Map();
    const draw = () => {
      const rows = [...calls.values()];
      const risky = rows.filter(c => c.escalation_risk >= 0.6).length;
      board.replaceChildren(h("div", { class: "grid" }, kpi("Live interactions", rows.length), kpi("High escalation risk", risky)),
        table([{ key: "external_id", label: "Interaction" }, { key: "agent", label: "Agent" }, { key: "intent", label: "Intent" },
          { key: "customer_sentiment", label: "Customer", format: sentimentText }, { key: "escalation_risk", label: "Risk" },
          { key: "next_step", label: "Next step" }, { key: "alerts", label: "Alerts", format: v => v.length ? v.map(k => k.replace(/_/g, " ")).join(", ") : "–" }], rows));
    };
    const addAlert = a => alerts.append(h("p", { role: "alert" }, sevPill(a.severity), ` ${a.kind.replace(/_/g, " ")} · ${a.agent || "agent"}: ${a.message}`));
    const q = params.team ? `?team=${encodeURIComponent(params.team)}` : "";
    const ws = new WebSocket(wsUrl(`/v1/assist/board${q}`));
    const stop = () => { if (ws.readyState <= 1) ws.close(); window.removeEventListener("hashchange", stop); };
    window.addEventListener("hashchange", stop);
    ws.onopen = () => { status.textContent = "Live."; };
    ws.onclose = ev => { status.textContent = `Disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""}).`; };
    ws.onmessage = ev => {
      if (!el.isConnected) { stop(); return; }
      const f = JSON.parse(ev.data);
      if (f.type === "snapshot") { f.calls.forEach(c => calls.set(c.interaction_id, c)); f.alerts.forEach(addAlert); }
      else if (f.type === "call") calls.set(f.call.interaction_id, f.call);
      else if (f.type === "ended") calls.delete(f.interaction_id);
      else if (f.type === "alert") addAlert(f.alert);
      else if (f.type === "error") status.textContent = `${f.code}: ${f.message}`;
      draw();
    };
    draw();
  } });
})();
