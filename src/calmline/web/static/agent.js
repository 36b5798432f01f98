// The agent panel: one live conversation's transcript with its evidence, the customer's mood, guidance,
// alert banners with their procedures, and a draft reply coached as the agent types.
"use strict";

(async () => {
  const { el, svg, api } = Calm;
  const conversationId = document.body.dataset.conversation;
  const base = `/v1/conversations/${encodeURIComponent(conversationId)}`;
  const COACH_DELAY_MS = 450;

  const view = {
    practices: {},          // id -> name, from the effective playbook
    abuseSteps: [],         // the playbook's boundary -> warning -> end steps
    turns: new Map(),       // index -> the turn result as the API returns it
    evidence: new Map(),    // turn index -> [{start, end, practice, kind}]
    alerts: new Map(),      // alert id -> {alert, turn}
    acknowledged: new Set(),
    dismissed: new Map(),   // banner key -> id of the newest alert it showed when dismissed
    ticked: new Set(),      // crisis steps the agent ticked off
    latestState: null,
    closed: false,
    findings: [],
  };

  const identity = await Calm.guard();
  if (!identity) return;

  const draft = document.getElementById("draft");
  const backdrop = document.getElementById("draft-backdrop");
  // Wired before the page loads its data, so a click while it loads is not lost.
  wireHandoff();

  await Promise.all([loadPlaybook(), loadHeader()]);
  new Calm.Stream(`${base}/stream`, {
    onEvent: receive,
    onStop: (event) => {
      if (event.code === 4404) Calm.showError("No such conversation for your team.");
      else if (event.code === 4403) Calm.showError("Your key may not follow this conversation.");
    },
  }).start();
  wireDraft();

  // --- loading -----------------------------------------------------------------------------

  async function loadPlaybook() {
    try {
      const playbook = await api("GET", "/v1/playbook");
      for (const [id, practice] of Object.entries(playbook.effective.practices || {})) {
        view.practices[id] = practice.name;
      }
      view.abuseSteps = (playbook.effective.abuse_policy || {}).steps || [];
    } catch (error) {
      // Practice ids still show without their names.
    }
  }

  async function loadHeader() {
    try {
      const conversation = await api("GET", base);
      showHeader(conversation);
      remember(conversation);
      if (conversation.status !== "active") markClosed();
    } catch (error) {
      Calm.showError(error.status === 404 ? "No such conversation for your team." : error.message);
    }
  }

  function showHeader(conversation) {
    const customer = conversation.customer_name || "the customer";
    document.getElementById("conv-title").textContent = `Conversation with ${customer}`;
    const parts = [
      conversation.channel,
      conversation.agent_name ? `agent ${conversation.agent_name}` : null,
      conversation.team ? `team ${conversation.team}` : null,
      `started ${Calm.clock(conversation.created_at)}`,
    ].filter(Boolean);
    document.getElementById("conv-meta").textContent = parts.join(" · ");
  }

  function remember(conversation) {
    const recent = JSON.parse(sessionStorage.getItem("calmline.recent") || "[]")
      .filter((item) => item.id !== conversation.id);
    recent.unshift({ id: conversation.id, label: conversation.customer_name || conversation.id });
    sessionStorage.setItem("calmline.recent", JSON.stringify(recent.slice(0, 10)));
  }

  // --- live events -------------------------------------------------------------------------

  function receive(event) {
    if (event.type === "turn") addTurn(event.data);
    else if (event.type === "alert.acknowledged") {
      view.acknowledged.add(event.data.alert_id);
      renderAlerts();
    } else if (event.type === "conversation.closed") markClosed();
  }

  function addTurn(result) {
    const index = result.turn.index;
    view.turns.set(index, result);
    const touched = new Set([index]);
    for (const signal of result.signals || []) {
      if (!signal.practice) continue;
      for (const evidence of signal.evidence || []) {
        if (addEvidence(evidence, signal)) touched.add(evidence.turn);
      }
    }
    for (const alert of result.alerts || []) view.alerts.set(alert.id, { alert, turn: index });
    if (index >= lastIndex()) view.latestState = result.state;
    for (const turn of touched) renderTurn(turn);
    renderState();
    renderGuidance();
    renderAlerts();
  }

  function addEvidence(evidence, signal) {
    const list = view.evidence.get(evidence.turn) || [];
    const [start, end] = evidence.span;
    if (list.some((e) => e.start === start && e.end === end && e.practice === signal.practice)) return false;
    list.push({ start, end, practice: signal.practice, kind: signal.kind });
    view.evidence.set(evidence.turn, list);
    return true;
  }

  function lastIndex() { return Math.max(-1, ...view.turns.keys()); }

  function practiceLabel(id) { return view.practices[id] ? `${id} ${view.practices[id]}` : id; }

  // --- transcript --------------------------------------------------------------------------

  function renderTurn(index) {
    const result = view.turns.get(index);
    if (!result) return;
    const list = document.getElementById("turns");
    const speaker = result.turn.speaker;
    const alerts = (result.alerts || []).map((alert) => Calm.alertBadge(alert.kind));
    const item = el("li", { class: `turn turn-${speaker}`, id: `turn-${index}`, dataset: { index } },
      el("p", { class: "turn-who" }, el("strong", { text: speaker === "agent" ? "Agent" : "Customer" }),
        ` · turn ${index + 1}`),
      el("p", { class: "turn-text" }, markedText(result.turn.text, view.evidence.get(index) || [])),
      alerts.length ? el("p", { class: "turn-alerts" }, el("span", { class: "sr-only", text: "Alerts raised here: " }), alerts) : null);
    const existing = document.getElementById(`turn-${index}`);
    if (existing) { existing.replaceWith(item); return; }
    const later = [...list.children].find((child) => Number(child.dataset.index) > index);
    list.insertBefore(item, later || null);
    if (!later) item.scrollIntoView({ block: "nearest" });
  }

  // The turn's text with each evidence span marked; overlapping spans are cut into pieces that name
  // every practice covering them.
  function markedText(text, spans) {
    const cuts = new Set([0, text.length]);
    for (const span of spans) {
      cuts.add(Math.max(0, Math.min(text.length, span.start)));
      cuts.add(Math.max(0, Math.min(text.length, span.end)));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const pieces = [];
    for (let i = 0; i < points.length - 1; i += 1) {
      const [from, to] = [points[i], points[i + 1]];
      const piece = text.slice(from, to);
      const covering = spans.filter((span) => span.start <= from && span.end >= to);
      if (!covering.length) { pieces.push(piece); continue; }
      const labels = [...new Set(covering.map((s) => `${practiceLabel(s.practice)} (${s.kind.replace(/_/g, " ")})`))];
      const tip = labels.join("; ");
      pieces.push(el("mark", {
        class: "evidence", tabindex: "0", "data-tip": tip,
        "data-practice": [...new Set(covering.map((s) => s.practice))].join(" "),
      }, piece, el("span", { class: "sr-only", text: ` [evidence: ${tip}]` })));
    }
    return pieces;
  }

  // --- mood, trend and risk ----------------------------------------------------------------

  function renderState() {
    const state = view.latestState;
    if (!state) return;
    const mood = Calm.moodWords(state.mood);
    const trend = state.mood_trend <= -0.3 ? "falling ▼" : state.mood_trend >= 0.3 ? "rising ▲" : "steady";
    const words = `${mood.icon} ${mood.text} (${state.mood.toFixed(1)}), ${trend}`;
    document.getElementById("mood-text").textContent = words;
    const gauge = document.getElementById("mood-gauge");
    gauge.setAttribute("aria-valuenow", String(state.mood));
    gauge.setAttribute("aria-valuetext", `${mood.text}, ${trend.replace(/ [▲▼]/, "")}`);
    gauge.dataset.level = mood.level;
    document.getElementById("mood-marker").style.left = `${((state.mood + 5) / 10) * 100}%`;
    const risk = Calm.riskWords(state.escalation_risk);
    const riskText = document.getElementById("risk-text");
    riskText.textContent = `${risk.icon} ${risk.text}`;
    riskText.dataset.level = risk.level;
    renderSparkline();
  }

  function renderSparkline() {
    const moods = [...view.turns.keys()].sort((a, b) => a - b)
      .map((index) => view.turns.get(index))
      .filter((result) => result.turn.speaker === "customer")
      .map((result) => result.state.mood);
    const chart = document.getElementById("mood-spark");
    chart.replaceChildren(svg("line", { x1: 0, x2: 200, y1: 20, y2: 20, class: "spark-zero" }));
    if (!moods.length) return;
    const y = (mood) => (20 - mood * 3.6).toFixed(1);
    const x = (i) => (moods.length === 1 ? 100 : (i * 196) / (moods.length - 1) + 2).toFixed(1);
    chart.append(svg("polyline", { class: "spark-line", points: moods.map((m, i) => `${x(i)},${y(m)}`).join(" ") }));
    const last = moods.length - 1;
    chart.append(svg("circle", { class: "spark-dot", cx: x(last), cy: y(moods[last]), r: 2.5 }));
    const first = Calm.moodWords(moods[0]).text;
    const now = Calm.moodWords(moods[last]).text;
    chart.setAttribute("aria-label",
      `Mood over ${moods.length} customer turns: from ${first} (${moods[0].toFixed(1)}) to ${now} (${moods[last].toFixed(1)})`);
  }

  // --- guidance ----------------------------------------------------------------------------

  function renderGuidance() {
    const indexes = [...view.turns.keys()].sort((a, b) => b - a);
    const index = indexes.find((i) => (view.turns.get(i).guidance || []).length);
    if (index === undefined) return;
    const guidance = [...view.turns.get(index).guidance].sort((a, b) => a.priority - b.priority);
    const stale = index !== indexes[0];
    document.getElementById("guidance-turn").textContent = `after turn ${index + 1}${stale ? " (earlier)" : ""}`;
    document.getElementById("guidance-list").replaceChildren(...guidance.map(guidanceCard));
  }

  function guidanceCard(item) {
    const urgent = item.priority === 1;
    return el("article", { class: `guide${urgent ? " guide-urgent" : ""}`, dataset: { practice: item.practice } },
      el("h3", {},
        urgent ? el("span", { class: "tag tag-urgent" }, el("span", { "aria-hidden": "true", text: "⚠" }), " urgent") : null,
        el("span", { class: "practice", text: item.practice }), ` ${view.practices[item.practice] || ""}`),
      el("p", { class: "why", text: item.message }),
      item.trigger ? el("p", { class: "trigger meta", text: `Because: ${item.trigger}` }) : null,
      item.suggestions.length ? el("ul", { class: "suggestions" }, item.suggestions.map((text) =>
        el("li", {}, el("q", { text }),
          el("button", { type: "button", class: "use", "aria-label": `Use: ${text}`, onclick: () => useText(text) }, "Use")))) : null);
  }

  function useText(text) {
    const current = draft.value.trimEnd();
    draft.value = current ? `${current} ${text}` : text;
    draft.focus();
    draft.setSelectionRange(draft.value.length, draft.value.length);
    draftChanged(true);
  }

  // --- alert banners -----------------------------------------------------------------------

  function bannerKey(alert) { return alert.kind; }

  function renderAlerts() {
    const groups = new Map();
    for (const [id, entry] of view.alerts) {
      const key = bannerKey(entry.alert);
      const group = groups.get(key) || { key, alerts: [] };
      group.alerts.push({ id, ...entry });
      groups.set(key, group);
    }
    const banners = [];
    for (const group of groups.values()) {
      group.alerts.sort((a, b) => a.turn - b.turn);
      group.latest = group.alerts[group.alerts.length - 1];
      group.open = group.alerts.filter((a) => !view.acknowledged.has(a.id));
      group.critical = group.latest.alert.severity === "critical";
      if (view.dismissed.get(group.key) === group.latest.id) continue;
      banners.push(group);
    }
    banners.sort((a, b) => Number(b.critical) - Number(a.critical) || b.latest.turn - a.latest.turn);
    const region = document.getElementById("alerts");
    const focused = document.activeElement && region.contains(document.activeElement) ? document.activeElement.id : null;
    region.replaceChildren(...banners.map(banner));
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function banner(group) {
    const { alert } = group.latest;
    const name = Calm.alertName(alert.kind);
    const mustAcknowledge = group.critical && group.open.length > 0;
    const body = {
      crisis: crisisBody, abuse: abuseBody, emergency: emergencyBody,
    }[alert.kind] || genericBody;
    return el("section", {
      class: `banner banner-${alert.kind}${group.critical ? " banner-critical" : ""}`,
      role: group.critical ? "alert" : "region",
      "aria-label": `${name.text} alert`, dataset: { kind: alert.kind },
    },
    el("h2", { class: "banner-title" }, el("span", { class: "banner-icon", "aria-hidden": "true", text: name.icon }),
      ` ${name.text} `, el("span", { class: "meta", text: `· turn ${group.latest.turn + 1} · ${alert.severity}` })),
    el("p", { class: "banner-message", text: alert.message }),
    body(alert, group),
    el("div", { class: "banner-actions" }, acknowledgement(group, mustAcknowledge)));
  }

  function acknowledgement(group, mustAcknowledge) {
    const status = group.open.length === 0
      ? el("p", { class: "ack-status ack-done" }, el("span", { "aria-hidden": "true", text: "✓ " }), "Acknowledged by a supervisor")
      : group.critical
        ? el("p", { class: "ack-status ack-waiting" }, el("span", { "aria-hidden": "true", text: "⚠ " }),
          "Waiting for a supervisor's acknowledgement; this stays until then.")
        : null;
    const acknowledge = group.open.length && Calm.canAcknowledge()
      ? el("button", { type: "button", class: "primary", id: `ack-${group.key}`, onclick: () => acknowledgeGroup(group) },
        "Acknowledge")
      : null;
    // A critical alert cannot be put away until it is acknowledged.
    const dismiss = mustAcknowledge ? null
      : el("button", { type: "button", id: `dismiss-${group.key}`, onclick: () => dismissGroup(group) }, "Dismiss");
    return [status, acknowledge, dismiss];
  }

  async function acknowledgeGroup(group) {
    try {
      for (const item of group.open) {
        await api("POST", `/v1/alerts/${encodeURIComponent(item.id)}/ack`, { note: "acknowledged in the agent panel" });
        view.acknowledged.add(item.id);
      }
      renderAlerts();
    } catch (error) {
      Calm.showError(`Could not acknowledge: ${error.message}`);
    }
  }

  function dismissGroup(group) {
    view.dismissed.set(group.key, group.latest.id);
    renderAlerts();
    draft.focus();
  }

  function procedureSteps(procedure) {
    return (procedure.instructions || "").split("\n").map((line) => line.replace(/^\s*\d+[.)]\s*/, "").trim())
      .filter(Boolean);
  }

  function crisisBody(alert) {
    const procedure = alert.procedure || {};
    const steps = procedureSteps(procedure);
    return el("div", { class: "banner-body" },
      el("h3", { text: "Procedure" }),
      el("ol", { class: "checklist" }, steps.map((step, i) => {
        const id = `crisis-step-${i}`;
        const box = el("input", { type: "checkbox", id, checked: view.ticked.has(id) });
        box.addEventListener("change", () => { if (box.checked) view.ticked.add(id); else view.ticked.delete(id); });
        return el("li", {}, box, el("label", { for: id, text: step }));
      })),
      (procedure.resources || []).length ? [el("h3", { text: "Resources" }),
        el("ul", { class: "resources" }, procedure.resources.map((r) => el("li", { text: r })))] : null);
  }

  // Boundary -> warning -> end: every step with its wording; the current one open, the others folded.
  function abuseBody(alert) {
    const current = (alert.procedure || {}).step;
    const steps = view.abuseSteps.length ? view.abuseSteps
      : [{ name: current, instructions: alert.procedure.instructions, wording: alert.procedure.wording }];
    const at = steps.findIndex((s) => s.name === current);
    return el("div", { class: "banner-body" },
      el("ol", { class: "abuse-steps" }, steps.map((step, i) => {
        const status = i < at ? "✓ done" : i === at ? "→ now" : "next";
        const wording = el("ul", { class: "suggestions" }, (step.wording || []).map((text) => el("li", {}, el("q", { text }),
          el("button", { type: "button", class: "use", "aria-label": `Use: ${text}`, onclick: () => useText(text) }, "Use"))));
        return el("li", { class: `abuse-step${i === at ? " step-now" : ""}`, "aria-current": i === at ? "step" : null },
          el("details", { open: i === at },
            el("summary", {}, el("strong", { text: step.name }), el("span", { class: "step-status", text: ` ${status}` }),
              el("span", { class: "meta", text: ` — ${step.instructions}` })),
            wording));
      })));
  }

  function emergencyBody(alert) {
    const procedure = alert.procedure || {};
    const live = view.latestState && view.latestState.emergency;
    const checklist = (live && live.checklist) || procedure.checklist || [];
    return el("div", { class: "banner-body" },
      el("p", { text: procedure.instructions || "" }),
      el("ul", { class: "capture-list", "aria-label": "Emergency checklist" }, checklist.map((item) =>
        el("li", { class: item.done ? "captured" : "missing", dataset: { field: item.field } },
          el("span", { class: "tick", "aria-hidden": "true", text: item.done ? "☑" : "☐" }),
          ` ${item.label}: `,
          el("strong", { text: item.done ? "captured" : "still needed" }),
          item.done && item.evidence.length ? el("span", { class: "meta", text: ` (“${item.evidence[0].quote}”)` }) : null))));
  }

  function genericBody(alert) {
    const procedure = alert.procedure || {};
    return el("div", { class: "banner-body" },
      procedure.step ? el("p", {}, el("strong", { text: "Next: " }), procedure.step) : null,
      procedure.instructions ? el("p", { class: "meta", text: procedure.instructions }) : null,
      (procedure.resources || []).length ? el("ul", { class: "resources" }, procedure.resources.map((r) => el("li", { text: r }))) : null,
      (procedure.wording || []).length ? el("ul", { class: "suggestions" }, procedure.wording.map((text) => el("li", {},
        el("q", { text }), el("button", { type: "button", class: "use", "aria-label": `Use: ${text}`, onclick: () => useText(text) }, "Use")))) : null);
  }

  // --- draft coaching ----------------------------------------------------------------------

  let coachTimer = null;
  let coachRequest = 0;

  function wireDraft() {
    draft.addEventListener("input", () => draftChanged(false));
    draft.addEventListener("scroll", () => { backdrop.scrollTop = draft.scrollTop; });
    document.getElementById("send").addEventListener("click", send);
  }

  function draftChanged(now) {
    view.findings = locate(view.findings, draft.value);
    renderFindings();
    clearTimeout(coachTimer);
    coachTimer = setTimeout(coach, now ? 0 : COACH_DELAY_MS);
  }

  async function coach() {
    const text = draft.value;
    const request = ++coachRequest;
    const status = document.getElementById("draft-status");
    if (!text.trim()) { view.findings = []; renderFindings(); status.textContent = ""; return; }
    status.textContent = "Checking…";
    try {
      const result = await api("POST", `${base}/drafts`, { text });
      if (request !== coachRequest) return; // the agent typed on; a newer check is coming
      view.findings = locate(result.findings.map((f) => ({ ...f, start: f.span[0], end: f.span[1] })), draft.value);
      renderFindings();
      status.textContent = view.findings.length
        ? `${view.findings.length} thing${view.findings.length > 1 ? "s" : ""} to look at in your reply.`
        : "✓ Nothing to change.";
    } catch (error) {
      if (request === coachRequest) status.textContent = `Could not check the reply: ${error.message}`;
    }
  }

  // Findings point at the text they were computed on; keep each where its quote still is.
  function locate(findings, text) {
    const out = [];
    for (const finding of findings) {
      if (text.slice(finding.start, finding.end) === finding.quote) { out.push(finding); continue; }
      const at = text.indexOf(finding.quote);
      if (at >= 0) out.push({ ...finding, start: at, end: at + finding.quote.length });
    }
    return out;
  }

  function renderFindings() {
    const text = draft.value;
    const spans = [...view.findings].sort((a, b) => a.start - b.start);
    const pieces = [];
    let at = 0;
    for (const finding of spans) {
      if (finding.start < at) continue;
      pieces.push(text.slice(at, finding.start));
      pieces.push(el("mark", { class: "finding", dataset: { practice: finding.practice } }, text.slice(finding.start, finding.end)));
      at = finding.end;
    }
    pieces.push(text.slice(at) + "\u200b");
    backdrop.replaceChildren(...pieces);
    backdrop.scrollTop = draft.scrollTop;
    document.getElementById("findings").replaceChildren(...view.findings.map(findingItem));
  }

  function findingItem(finding) {
    return el("li", { class: "finding-item", dataset: { practice: finding.practice } },
      el("p", {}, el("span", { class: "practice", text: finding.practice }), " ",
        el("span", { class: "underlined", text: finding.quote }), el("span", { text: ` — ${finding.message}` })),
      el("ul", { class: "rewrites", "aria-label": "Rewrites" }, finding.rewrites.map((rewrite) => el("li", {},
        el("button", { type: "button", class: "apply", "aria-label": `Apply rewrite: ${rewrite}`, onclick: () => applyRewrite(rewrite) },
          el("span", { "aria-hidden": "true", text: "↺ " }), "Apply"),
        el("span", { class: "rewrite", text: ` ${rewrite}` })))));
  }

  function applyRewrite(rewrite) {
    draft.value = rewrite;
    view.findings = [];
    document.getElementById("draft-status").textContent = "Rewrite applied.";
    draft.focus();
    draftChanged(true);
  }

  async function send() {
    const text = draft.value.trim();
    if (!text || view.closed) return;
    const id = `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const button = document.getElementById("send");
    button.disabled = true;
    try {
      await api("POST", `${base}/turns`, { id, speaker: "agent", text });
      draft.value = "";
      view.findings = [];
      renderFindings();
      document.getElementById("draft-status").textContent = "Sent.";
    } catch (error) {
      document.getElementById("draft-status").textContent = `Not sent: ${error.message}`;
    } finally {
      button.disabled = view.closed;
    }
  }

  function markClosed() {
    if (view.closed) return;
    view.closed = true;
    draft.disabled = true;
    document.getElementById("send").disabled = true;
    document.getElementById("draft-status").textContent = "This conversation is closed.";
    document.getElementById("conv-meta").append(" · closed");
  }

  // --- hand-off to a supervisor ------------------------------------------------------------

  function wireHandoff() {
    const dialog = document.getElementById("handoff");
    const button = document.getElementById("get-supervisor");
    button.disabled = false; // disabled in the page until this listener exists
    button.addEventListener("click", async () => {
      const note = document.getElementById("handoff-note");
      const status = document.getElementById("handoff-status");
      note.textContent = "";
      status.textContent = "Writing the note…";
      dialog.showModal();
      try {
        note.textContent = await handoffNote();
        status.textContent = "Read it to your supervisor or paste it into the hand-off; the customer need not repeat anything.";
      } catch (error) {
        status.textContent = `Could not write the note: ${error.message}`;
      }
    });
    document.getElementById("handoff-close").addEventListener("click", () => dialog.close());
    document.getElementById("handoff-copy").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(document.getElementById("handoff-note").textContent);
        document.getElementById("handoff-status").textContent = "✓ Copied.";
      } catch (error) {
        document.getElementById("handoff-status").textContent = "Select the note and copy it (the browser refused).";
      }
    });
  }

  async function handoffNote() {
    const result = await api("POST", `/v1/conversations/${encodeURIComponent(conversationId)}/handoff`);
    return result.note;
  }
})();
