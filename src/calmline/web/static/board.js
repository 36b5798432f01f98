// The supervisor board: live conversations riskiest first, updated over the tenant stream; the alert feed
// with acknowledgement; the agents' well-being this shift.
"use strict";

(async () => {
  const { el, api } = Calm;
  const identity = await Calm.guard();
  if (!identity) return;

  const board = new Map(); // conversation id -> board entry plus its open alerts (alert id -> kind)
  const feed = new Map();  // alert id -> {id, conversation_id, kind, severity, message, at, acknowledged}
  let order = [];
  let wellbeingTimer = null;

  try {
    // The head first, then the list: events after the head are applied on top (each is idempotent).
    const head = await api("GET", "/console/board-head");
    const entries = await api("GET", "/v1/conversations?status=active&limit=200");
    for (const entry of entries) board.set(entry.id, { ...entry, open: new Map(), fallbackKinds: entry.open_alerts });
    await Promise.all(entries.filter((e) => e.open_alerts.length).map(loadOpenAlerts));
    render();
    new Calm.Stream("/v1/stream", { after: head.seq, onEvent: receive }).start();
  } catch (error) {
    Calm.showError(`The board could not load: ${error.message}`);
  }
  loadWellbeing();
  setInterval(renderDurations, 15000);

  async function loadOpenAlerts(entry) {
    try {
      const conversation = await api("GET", `/v1/conversations/${encodeURIComponent(entry.id)}`);
      for (const alert of conversation.alerts) {
        if (alert.acknowledged_at) continue;
        addAlert({
          id: alert.id, conversation_id: entry.id, kind: alert.kind, severity: alert.severity,
          message: alert.message, at: alert.created_at,
        });
      }
      board.get(entry.id).fallbackKinds = [];
    } catch (error) {
      // The badges from the list still show.
    }
  }

  // --- events ------------------------------------------------------------------------------

  function receive(event) {
    const data = event.data || {};
    if (event.type === "conversation.opened" || event.type === "conversation.updated") {
      const known = board.get(data.id);
      if (data.status && data.status !== "active") board.delete(data.id);
      else board.set(data.id, { ...(known || { open: new Map(), fallbackKinds: [] }), ...data });
    } else if (event.type === "conversation.closed") {
      board.delete(data.id);
      clearTimeout(wellbeingTimer);
      wellbeingTimer = setTimeout(loadWellbeing, 1000); // its counts come from closed conversations
    } else if (event.type === "alert") {
      const alert = data.alert;
      addAlert({
        id: alert.id, conversation_id: data.conversation_id, kind: alert.kind, severity: alert.severity,
        message: alert.message, at: event.at,
      });
    } else if (event.type === "supervisor.requested") {
      // Not an alert the server tracks: acknowledging it here only clears it from this board.
      addAlert({
        id: `handoff-${data.id}-${event.seq}`, conversation_id: data.id, kind: "supervisor_requested",
        severity: "warning", message: data.note, at: event.at, local: true,
      });
    } else if (event.type === "alert.acknowledged") {
      const item = feed.get(data.alert_id);
      if (item) item.acknowledged = true;
      const entry = board.get(data.conversation_id);
      if (entry) entry.open.delete(data.alert_id);
    }
    render();
  }

  function addAlert(item) {
    if (!feed.has(item.id)) feed.set(item.id, { ...item, acknowledged: false });
    const entry = board.get(item.conversation_id);
    if (entry && !feed.get(item.id).acknowledged) entry.open.set(item.id, item.kind);
  }

  // --- the board ---------------------------------------------------------------------------

  function ranked() {
    return [...board.values()].sort((a, b) =>
      b.escalation_risk - a.escalation_risk || a.created_at.localeCompare(b.created_at));
  }

  function render() {
    const rows = ranked();
    const before = order;
    order = rows.map((entry) => entry.id);
    document.getElementById("board-rows").replaceChildren(...rows.map((entry, i) => row(entry, i, before)));
    document.getElementById("board-empty").hidden = rows.length > 0;
    summarise(rows, before);
    renderFeed();
  }

  function row(entry, position, before) {
    const risk = Calm.riskWords(entry.escalation_risk);
    const mood = Calm.moodWords(entry.mood);
    const kinds = new Set([...entry.open.values(), ...(entry.fallbackKinds || [])]);
    const was = before.indexOf(entry.id);
    const moved = was > position ? "moved-up" : "";
    const customer = entry.customer_name || "Customer";
    return el("tr", { class: moved, dataset: { id: entry.id, position } },
      el("td", { class: "risk", "data-label": "Risk", dataset: { level: risk.level } },
        el("span", { "aria-hidden": "true", text: `${risk.icon} ` }), risk.text,
        el("span", { class: "bar", "aria-hidden": "true" }, barFill(entry.escalation_risk)),
        moved ? el("span", { class: "moved", text: " ↑ moved up" }) : null),
      el("td", { "data-label": "Customer" }, el("strong", { text: customer }),
        entry.team ? el("span", { class: "meta", text: ` · ${entry.team}` }) : null,
        el("span", { class: "meta", text: ` · ${entry.channel}` })),
      el("td", { "data-label": "Agent", text: entry.agent_name || "—" }),
      el("td", { "data-label": "Mood", dataset: { level: mood.level } },
        el("span", { "aria-hidden": "true", text: `${mood.icon} ` }), `${mood.text} (${entry.mood.toFixed(1)})`),
      el("td", { "data-label": "Duration", class: "duration", dataset: { since: entry.created_at } },
        `${Calm.duration(entry.created_at)} · ${entry.turn_count} turns`),
      el("td", { "data-label": "Alerts", class: "alerts-cell" },
        kinds.size ? [...kinds].map((kind) => Calm.alertBadge(kind)) : el("span", { class: "meta", text: "none" })),
      el("td", {}, el("a", {
        class: "button", href: `/console/agent/${encodeURIComponent(entry.id)}`,
        "aria-label": `Open the conversation with ${customer} live`,
      }, "Open live")));
  }

  function barFill(risk) {
    const fill = el("span", { class: "bar-fill" });
    fill.style.width = `${Math.round(risk * 100)}%`;
    return fill;
  }

  function summarise(rows, before) {
    const summary = document.getElementById("board-summary");
    if (!rows.length) { summary.textContent = ""; return; }
    const top = rows[0];
    const news = before.length && before[0] !== top.id ? " New at the top: " : " Riskiest: ";
    summary.textContent = `${rows.length} live conversation${rows.length > 1 ? "s" : ""}.${news}` +
      `${top.customer_name || "a customer"} with ${top.agent_name || "an agent"} (${Calm.riskWords(top.escalation_risk).text}).`;
  }

  function renderDurations() {
    for (const cell of document.querySelectorAll("td.duration")) {
      const entry = board.get(cell.closest("tr").dataset.id);
      if (entry) cell.textContent = `${Calm.duration(entry.created_at)} · ${entry.turn_count} turns`;
    }
  }

  // --- the alert feed ----------------------------------------------------------------------

  function renderFeed() {
    const items = [...feed.values()].sort((a, b) =>
      Number(a.acknowledged) - Number(b.acknowledged) || String(b.at).localeCompare(String(a.at)));
    document.getElementById("feed").replaceChildren(...items.map(feedItem));
    document.getElementById("feed-empty").hidden = items.some((item) => !item.acknowledged);
  }

  function feedItem(item) {
    const entry = board.get(item.conversation_id);
    const who = entry ? `${entry.customer_name || "customer"} · agent ${entry.agent_name || "—"}` : "closed conversation";
    return el("li", { class: `feed-item${item.acknowledged ? " done" : ""} severity-${item.severity}`, dataset: { id: item.id, kind: item.kind } },
      el("p", {}, Calm.alertBadge(item.kind), el("span", { class: "meta", text: ` ${item.severity} · ${Calm.clock(item.at)} · ${who}` })),
      el("p", { text: item.message }),
      el("p", { class: "feed-actions" },
        item.acknowledged
          ? el("span", { class: "ack-done" }, el("span", { "aria-hidden": "true", text: "✓ " }), "Acknowledged")
          : el("button", {
            type: "button", class: "primary", "aria-label": `Acknowledge ${Calm.alertName(item.kind).text} alert: ${item.message}`,
            onclick: (event) => acknowledge(item, event.currentTarget),
          }, "Acknowledge"),
        entry ? el("a", { href: `/console/agent/${encodeURIComponent(item.conversation_id)}`, class: "button" }, "Open live") : null));
  }

  async function acknowledge(item, button) {
    button.disabled = true;
    try {
      if (!item.local) await api("POST", `/v1/alerts/${encodeURIComponent(item.id)}/ack`, { note: "acknowledged on the board" });
      item.acknowledged = true;
      const entry = board.get(item.conversation_id);
      if (entry) entry.open.delete(item.id);
      render();
      document.getElementById("feed-title").focus?.();
    } catch (error) {
      button.disabled = false;
      Calm.showError(`Could not acknowledge: ${error.message}`);
    }
  }

  // --- well-being --------------------------------------------------------------------------

  async function loadWellbeing() {
    const box = document.getElementById("wellbeing");
    try {
      const report = await api("GET", "/v1/wellbeing");
      box.replaceChildren(wellbeingTable(report));
    } catch (error) {
      box.replaceChildren(el("p", { class: "meta", text: `Could not load well-being counts: ${error.message}` }));
    }
  }

  // Each agent's latest shift (read from the work itself), with the break or debrief suggestion it reached.
  function wellbeingTable(report) {
    const latest = new Map();
    for (const shift of report.shifts || []) {
      const known = latest.get(shift.agent);
      if (!known || new Date(shift.shift_start) > new Date(known.shift_start)) latest.set(shift.agent, shift);
    }
    const shifts = [...latest.values()].filter((s) => s.abuse || s.crisis)
      .sort((a, b) => b.crisis - a.crisis || b.abuse - a.abuse);
    if (!shifts.length) return el("p", { class: "meta", text: "No abusive or crisis contacts in the agents' latest shifts." });
    const policy = report.policy || {};
    return el("table", { class: "wellbeing" },
      el("caption", { class: "sr-only", text: "Abusive and crisis contacts per agent, latest shift" }),
      el("thead", {}, el("tr", {}, ["Agent", "Abusive", "Crisis", "Contacts", "Suggestion"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, shifts.map((shift) => {
        const [from, to] = [new Date(shift.shift_start), new Date(shift.shift_end)];
        const reached = (report.suggestions || []).filter((s) => s.agent === shift.agent &&
          new Date(s.reached_at) >= from && new Date(s.reached_at) < to);
        return el("tr", {},
          el("td", { "data-label": "Agent" }, el("strong", { text: shift.agent }),
            el("span", { class: "meta", text: ` · since ${Calm.clock(shift.shift_start)}` })),
          el("td", { "data-label": "Abusive", dataset: { level: shift.abuse >= (policy.abuse_threshold || Infinity) ? "bad" : "" } },
            `${shift.abuse}${policy.abuse_threshold ? ` of ${policy.abuse_threshold}` : ""}`),
          el("td", { "data-label": "Crisis", dataset: { level: shift.crisis >= (policy.crisis_threshold || Infinity) ? "bad" : "" } },
            `${shift.crisis}${policy.crisis_threshold ? ` of ${policy.crisis_threshold}` : ""}`),
          el("td", { "data-label": "Contacts", text: String(shift.contacts) }),
          el("td", { "data-label": "Suggestion" }, reached.length ? reached.map((s) => el("details", {},
            el("summary", {}, el("span", { "aria-hidden": "true", text: "⚑ " }), `${s.kind}: ${s.to_supervisor}`),
            el("ul", {}, (s.debrief || []).map((line) => el("li", { text: line })))))
            : el("span", { class: "meta", text: "—" })));
      })));
  }
})();
