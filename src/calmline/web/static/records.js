// Records and QA: closed conversations with their scorecards, commitments and follow-ups, filters and charts.
"use strict";

(async () => {
  const { el, api } = Calm;
  const identity = await Calm.guard();
  if (!identity) return;
  const filters = document.getElementById("filters");
  let followUps = new Map(); // conversation id -> its commitments as the ledger has them now
  let latest = 0; // the newest refresh: an older one that answers late must not paint over it

  // Listen before the first load: a filter chosen while the page still loads must apply.
  filters.addEventListener("change", () => refresh().catch((error) => Calm.showError(error.message)));
  filters.addEventListener("reset", () => setTimeout(() => refresh().catch((error) => Calm.showError(error.message))));
  try {
    await loadOptions();
    await refresh();
  } catch (error) {
    Calm.showError(`Records could not load: ${error.message}`);
  }

  async function loadOptions() {
    const records = await api("GET", "/v1/records?limit=5000");
    fillSelect("f-agent", records.map((r) => r.agent || r.agent_name));
    fillSelect("f-team", records.map((r) => r.team));
  }

  function fillSelect(id, values) {
    const select = document.getElementById(id);
    for (const value of [...new Set(values.filter(Boolean))].sort()) select.append(el("option", { value, text: value }));
  }

  function query() {
    const params = new URLSearchParams({ limit: "500" });
    const value = (id) => document.getElementById(id).value;
    if (value("f-agent")) params.set("agent", value("f-agent"));
    if (value("f-team")) params.set("team", value("f-team"));
    if (value("f-from")) params.set("since", new Date(`${value("f-from")}T00:00:00`).toISOString());
    if (value("f-to")) {
      const end = new Date(`${value("f-to")}T00:00:00`);
      end.setDate(end.getDate() + 1);
      params.set("until", end.toISOString());
    }
    if (value("f-alert") && value("f-alert") !== "none") params.set("alert", value("f-alert"));
    return params;
  }

  async function refresh() {
    const generation = ++latest;
    const params = query();
    let records = await api("GET", `/v1/records?${params}`);
    if (document.getElementById("f-alert").value === "none") records = records.filter((r) => !(r.alerts || []).length);
    const since = params.get("since");
    const [aggregates, ledger] = await Promise.all([
      api("GET", `/v1/scorecards/aggregate?by=agent${since ? `&since=${encodeURIComponent(since)}` : ""}`).catch(() => []),
      api("GET", "/v1/commitments").catch(() => []),
    ]);
    if (generation !== latest) return;
    followUps = new Map();
    for (const item of ledger) followUps.set(item.conversation_id, [...(followUps.get(item.conversation_id) || []), item]);
    renderTable(records);
    const agent = params.get("agent");
    document.getElementById("chart-mood").replaceChildren(Charts.moodOverTime(records));
    document.getElementById("chart-adherence").replaceChildren(
      Charts.adherence(agent ? aggregates.filter((a) => a.group === agent) : aggregates));
    document.getElementById("chart-hours").replaceChildren(Charts.alertsByHour(records));
  }

  function moodText(value, label) {
    const words = Calm.moodWords(value);
    return `${words.icon} ${label || words.text} (${value.toFixed(1)})`;
  }

  function renderTable(records) {
    document.getElementById("records-empty").hidden = records.length > 0;
    const scores = records.map((r) => r.score).filter((s) => typeof s === "number");
    const mean = scores.length ? Math.round(scores.reduce((a, b) => a + b, 0) / scores.length) : null;
    document.getElementById("records-summary").textContent =
      `${records.length} closed conversation${records.length === 1 ? "" : "s"}${mean === null ? "" : `, mean score ${mean}`}.`;
    document.getElementById("record-rows").replaceChildren(...records.map((record) => {
      const customer = record.customer_name || "Customer";
      return el("tr", { dataset: { id: record.id } },
        el("td", { "data-label": "Closed", text: Calm.when(record.closed_at) }),
        el("td", { "data-label": "Customer" }, el("strong", { text: customer }),
          record.team ? el("span", { class: "meta", text: ` · ${record.team}` }) : null),
        el("td", { "data-label": "Agent", text: record.agent || record.agent_name || "—" }),
        el("td", { "data-label": "Mood" }, `${moodText(record.mood.start, record.mood.start_label)} → ${moodText(record.mood.end, record.mood.end_label)}`),
        el("td", { "data-label": "Score", text: record.score === null ? "n/a" : String(Math.round(record.score)) }),
        el("td", { "data-label": "Alerts" }, (record.alerts || []).length
          ? record.alerts.map((kind) => Calm.alertBadge(kind)) : el("span", { class: "meta", text: "none" })),
        el("td", {}, el("button", {
          type: "button", "aria-label": `View the record of the conversation with ${customer}`,
          onclick: () => showDetail(record.id),
        }, "View")));
    }));
  }

  // --- one record --------------------------------------------------------------------------

  async function showDetail(id) {
    for (const row of document.querySelectorAll("#record-rows tr")) {
      row.setAttribute("aria-selected", String(row.dataset.id === id));
    }
    const body = document.getElementById("detail-body");
    body.replaceChildren(el("p", { class: "meta", text: "Loading…" }));
    try {
      const result = await api("GET", `/v1/records/${encodeURIComponent(id)}`);
      body.replaceChildren(...detail(result).flat(2));
    } catch (error) {
      body.replaceChildren(el("p", { class: "field-error", text: `Could not load the record: ${error.message}` }));
    }
    document.getElementById("detail").focus();
  }

  function detail(result) {
    const { record, scorecard } = result;
    return [
      el("h3", { text: `${record.customer || "Customer"} with ${record.agent}` }),
      el("dl", {},
        el("dt", { text: "Closed" }), el("dd", { text: Calm.when(record.ended_at || result.closed_at) }),
        el("dt", { text: "Outcome" }), el("dd", { text: record.outcome.replace(/_/g, " ") }),
        el("dt", { text: "Why they called" }), el("dd", { text: record.reason }),
        el("dt", { text: "Mood" }), el("dd", { text:
          `${moodText(record.mood.start, record.mood.start_label)} → ${moodText(record.mood.end, record.mood.end_label)}; lowest ${record.mood.lowest.toFixed(1)}` }),
        el("dt", { text: "Score" }), el("dd", { text: scorecard.score === null ? "n/a" : `${Math.round(scorecard.score)} / 100` })),
      section("Grievances", record.grievances.map((g) => `${g.label} (${g.status}${g.times_raised > 1 ? `, raised ${g.times_raised}×` : ""}): “${g.quote}”`)),
      section("What was done", record.steps.map((s) => `${s.kind.replace(/_/g, " ")}: ${s.what}`)),
      commitmentsSection(result),
      section("Alerts", record.alerts.map((a) => `${Calm.alertName(a.kind).text} at turn ${a.turn + 1}: ${a.message}`)),
      Calm.scorecardSection(scorecard),
      el("h4", { text: "Hand-off note" }), el("pre", { class: "handoff-note", text: result.handoff_note }),
      el("button", { type: "button", onclick: () => openReport(record.conversation_id) }, "Open printable report"),
    ];
  }

  function section(title, lines) {
    return [el("h4", { text: title }), lines.length
      ? el("ul", {}, lines.map((line) => el("li", { text: line }))) : el("p", { class: "meta", text: "None." })];
  }

  function commitmentsSection(result) {
    const live = followUps.get(result.record.conversation_id) || [];
    const items = live.length ? live : result.commitments;
    const icons = { done: "✓ done", overdue: "⚠ overdue", open: "○ open" };
    return [el("h4", { text: "Commitments and follow-ups" }), items.length
      ? el("ul", {}, items.map((c) => el("li", { class: `commitment commitment-${c.status}` },
        el("strong", { text: icons[c.status] || c.status }),
        ` ${c.owner}: ${c.what}`, c.due ? el("span", { class: "meta", text: ` · due ${Calm.when(c.due)}` }) : null)))
      : el("p", { class: "meta", text: "No commitments were made." })];
  }

  async function openReport(id) {
    const response = await fetch(`/v1/records/${encodeURIComponent(id)}/report.html`, {
      headers: { Authorization: `Bearer ${Calm.key()}` },
    });
    if (!response.ok) { Calm.showError(`The report could not be made (${response.status}).`); return; }
    const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
    window.open(url, "_blank", "noopener");
  }
})();
