// The training page: role-play against a simulated customer, the debrief when it ends, progress over time.
"use strict";

(async () => {
  const { el, api } = Calm;
  const identity = await Calm.guard();
  if (!identity) return;
  const $ = (id) => document.getElementById(id);
  const CURRENT = "calmline.training"; // the session this tab is playing: a reload picks it up again
  const TRAINERS = ["supervisor", "qa", "admin"];
  const trainer = TRAINERS.includes(identity.role);
  const OUTCOMES = {
    "de-escalated": { icon: "✓", text: "De-escalated", means: "the customer calmed down" },
    escalated: { icon: "✗", text: "Escalated", means: "the customer did not calm down, or the procedure was not followed" },
    ended: { icon: "■", text: "Ended by you", means: "the conversation was ended after a boundary and a warning" },
  };
  let personas = new Map();
  let session = null; // the session being played: {id, trainee, title, customer_name}
  let sending = false;

  $("trainee-field").hidden = !trainer;
  $("progress-filter-field").hidden = !trainer;
  $("progress-title").textContent = trainer ? "Trainees' progress" : "Your sessions";
  // Listen before the first await: a choice made while progress still loads must show its description.
  $("persona").addEventListener("change", describePersona);
  try {
    personas = new Map((await api("GET", "/v1/roleplay/personas")).map((p) => [p.id, p]));
    fillPersonas();
    await resume();
    await loadProgress();
  } catch (error) {
    Calm.showError(`Training could not load: ${error.message}`);
  }

  $("start-form").addEventListener("submit", (event) => { event.preventDefault(); start(); });
  $("reply-form").addEventListener("submit", (event) => { event.preventDefault(); send(); });
  $("reply").addEventListener("keydown", (event) => {
    // Enter sends, as in a chat; Shift+Enter keeps a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
  $("end-session").addEventListener("click", () => finish());
  $("again").addEventListener("click", () => {
    $("debrief").hidden = true;
    $("play").hidden = true;
    $("setup").hidden = false;
    $("persona").focus();
  });
  $("progress-refresh").addEventListener("click", () => loadProgress().catch((error) => Calm.showError(error.message)));
  $("progress-trainee").addEventListener("change", () => loadProgress().catch((error) => Calm.showError(error.message)));

  // --- choosing and starting ---------------------------------------------------------------

  function fillPersonas() {
    $("persona").replaceChildren(...[...personas.values()].map((p) =>
      el("option", { value: p.id, text: `${p.title} (${p.customer_name})` })));
    describePersona();
  }

  function describePersona() {
    const persona = personas.get($("persona").value);
    const procedure = persona && persona.procedure !== "none" ? ` Tests the ${persona.procedure} procedure.` : "";
    $("persona-description").textContent = persona ? `${persona.description}${procedure}` : "";
  }

  async function start() {
    $("start-error").textContent = "";
    const body = { persona: $("persona").value };
    const trainee = $("trainee").value.trim();
    if (trainer && trainee) body.trainee = trainee;
    $("start").disabled = true;
    try {
      const started = await api("POST", "/v1/roleplay/sessions", body);
      sessionStorage.setItem(CURRENT, started.id);
      show(started);
      $("reply").focus();
    } catch (error) {
      $("start-error").textContent = `⚠ Could not start the role-play: ${error.message}`;
    } finally {
      $("start").disabled = false;
    }
  }

  // A reload in the middle of a role-play picks it up where it was; a finished one shows its debrief.
  async function resume() {
    const id = sessionStorage.getItem(CURRENT);
    if (!id) return;
    let stored;
    try {
      stored = await api("GET", `/v1/roleplay/sessions/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error.status === 404) { sessionStorage.removeItem(CURRENT); return; }
      throw error;
    }
    show(stored);
    if (stored.result) showDebrief(stored.result);
  }

  function show(stored) {
    session = stored;
    $("setup").hidden = true;
    $("debrief").hidden = true;
    $("play").hidden = false;
    $("reply-form").hidden = false;
    $("end-session").hidden = false;
    $("play-title").textContent = `${stored.title || stored.persona}: ${stored.customer_name || "the customer"}`;
    $("play-meta").textContent = `Practising as ${stored.trainee} · started ${Calm.when(stored.created_at)}`;
    const list = $("roleplay-turns");
    list.replaceChildren(...stored.turns.map(turnItem));
    list.scrollTop = list.scrollHeight;
    $("mood-change").textContent = "";
    const opening = stored.turns[stored.turns.length - 1];
    showMood(opening.mood);
    if (stored.turns.length === 1) announce(opening.text);
  }

  // --- the conversation --------------------------------------------------------------------

  function turnItem(turn) {
    const customer = turn.speaker === "customer";
    const who = customer ? (session.customer_name || "Customer") : "You";
    return el("li", { class: `turn ${customer ? "turn-customer" : "turn-agent"}`, dataset: { speaker: turn.speaker } },
      el("div", { class: "turn-who", text: who }),
      el("div", { class: "turn-text", text: turn.text }));
  }

  function announce(line) {
    $("customer-said").textContent = `${session.customer_name || "The customer"} says: ${line}`;
  }

  function showMood(mood) {
    const words = Calm.moodWords(mood);
    const gauge = $("mood-gauge");
    gauge.setAttribute("aria-valuenow", String(mood));
    gauge.setAttribute("aria-valuetext", `${words.text} (${mood.toFixed(1)})`);
    gauge.dataset.level = words.level;
    $("mood-marker").style.left = `${((mood + 5) / 10) * 100}%`;
    const text = $("mood-text");
    text.textContent = `${words.icon} ${words.text} (${mood.toFixed(1)})`;
    text.dataset.level = words.level;
  }

  // The mood after a reply, and in words whether the reply made it rise or fall.
  function showChange(mood, change) {
    showMood(mood);
    const words = Calm.moodWords(mood).text;
    const line = $("mood-change");
    if (change >= 0.05) {
      line.textContent = `▲ Your reply raised the customer's mood by ${change.toFixed(1)}: now ${words}.`;
      line.dataset.level = "good";
    } else if (change <= -0.05) {
      line.textContent = `▼ Your reply lowered the customer's mood by ${Math.abs(change).toFixed(1)}: now ${words}.`;
      line.dataset.level = "bad";
    } else {
      line.textContent = `● The customer's mood held steady: still ${words}.`;
      line.dataset.level = "ok";
    }
  }

  async function send() {
    const text = $("reply").value.trim();
    $("reply-error").textContent = "";
    $("reply").removeAttribute("aria-invalid");
    if (!text) {
      $("reply-error").textContent = "⚠ Write what you would say to the customer first.";
      $("reply").setAttribute("aria-invalid", "true");
      $("reply").focus();
      return;
    }
    if (sending || !session) return;
    sending = true;
    $("send-reply").disabled = true;
    try {
      const answer = await api("POST", `/v1/roleplay/sessions/${encodeURIComponent(session.id)}/replies`, { text });
      $("reply").value = "";
      const list = $("roleplay-turns");
      list.append(turnItem({ speaker: "trainee", text: answer.reply }));
      if (answer.customer) {
        list.append(turnItem({ speaker: "customer", text: answer.customer }));
        announce(answer.customer);
      }
      list.scrollTop = list.scrollHeight; // the newest lines in view
      showChange(answer.mood, answer.change);
      if (answer.over) await finish();
    } catch (error) {
      if (error.status === 409 && /ended|finished/.test(error.message)) await finish();
      else $("reply-error").textContent = `⚠ The reply was not taken: ${error.message}`;
    } finally {
      sending = false;
      $("send-reply").disabled = false;
      if (!$("reply-form").hidden) $("reply").focus();
    }
  }

  async function finish() {
    if (!session) return;
    try {
      const result = await api("POST", `/v1/roleplay/sessions/${encodeURIComponent(session.id)}/finish`);
      showDebrief(result);
      $("debrief-title").focus();
      await loadProgress();
    } catch (error) {
      Calm.showError(`The debrief could not be made: ${error.message}`);
    }
  }

  // --- the debrief -------------------------------------------------------------------------

  function showDebrief(result) {
    sessionStorage.removeItem(CURRENT);
    $("reply-form").hidden = true;
    $("end-session").hidden = true;
    $("debrief").hidden = false;
    $("debrief-body").replaceChildren(...debrief(result).flat(2));
  }

  function debrief(result) {
    const outcome = OUTCOMES[result.outcome] || { icon: "", text: result.outcome, means: "" };
    const score = result.scorecard.score;
    const mood = Calm.moodWords(result.final_mood);
    return [
      el("p", { class: `outcome outcome-${result.outcome}`, id: "debrief-outcome" },
        el("strong", { text: `${outcome.icon} ${outcome.text}` }), outcome.means ? `: ${outcome.means}.` : ""),
      el("dl", { class: "debrief-facts" },
        el("dt", { text: "Score" }), el("dd", { id: "debrief-score", text: score === null ? "n/a" : `${Math.round(score)} / 100` }),
        el("dt", { text: "Mood at the end" }), el("dd", { text: `${mood.icon} ${mood.text} (${result.final_mood.toFixed(1)})` })),
      moments("What calmed the customer", "raised", result.raised, "No reply raised the customer's mood noticeably."),
      moments("What angered the customer", "lowered", result.lowered, "No reply lowered the customer's mood noticeably."),
      list("Coaching notes", "coaching", result.coaching, "Nothing to add: every practice that applied was met."),
      procedure(result.procedure || []),
      facts(result.facts_found || [], result.facts_missed || []),
      Calm.scorecardSection(result.scorecard, "h3"),
    ];
  }

  function moments(title, kind, items, none) {
    return [el("h3", { text: title }), items.length
      ? el("ul", { class: `moments moments-${kind}`, id: `moments-${kind}` }, items.map((m) => el("li", {},
        el("strong", { text: `${m.change > 0 ? "▲ +" : "▼ "}${m.change.toFixed(1)}` }), ` reply ${m.reply}`,
        m.practice ? el("span", { class: "practice", text: m.practice }) : null,
        m.quote ? [": ", el("q", { text: m.quote })] : null,
        el("span", { class: "meta", text: ` — ${m.why}` }))))
      : el("p", { class: "meta", text: none })];
  }

  function list(title, kind, lines, none) {
    return [el("h3", { text: title }), lines.length
      ? el("ul", { id: `debrief-${kind}` }, lines.map((line) => el("li", { text: line })))
      : el("p", { class: "meta", text: none })];
  }

  function procedure(checks) {
    if (!checks.length) return [];
    return [el("h3", { text: "Procedure" }), el("ul", { class: "checklist", id: "debrief-procedure" }, checks.map((check) =>
      el("li", { class: check.done ? "captured" : "missing" },
        el("strong", { text: check.done ? "✓ done" : "✗ missed" }),
        ` ${check.step}${check.reply ? ` (reply ${check.reply})` : ""}`)))];
  }

  function facts(found, missed) {
    if (!found.length && !missed.length) return [];
    return [el("h3", { text: "What you found out" }), el("ul", { class: "capture-list" },
      found.map((label) => el("li", { class: "captured" }, el("strong", { text: "✓ found" }), ` ${label}`)),
      missed.map((label) => el("li", { class: "missing" }, el("strong", { text: "✗ not asked" }), ` ${label}`)))];
  }

  // --- progress over time ------------------------------------------------------------------

  async function loadProgress() {
    const rows = await api("GET", "/v1/roleplay/sessions?limit=1000");
    const byTrainee = new Map();
    for (const row of rows) byTrainee.set(row.trainee, [...(byTrainee.get(row.trainee) || []), row]);
    const names = [...byTrainee.keys()].sort((a, b) => a.localeCompare(b));
    const filter = $("progress-trainee");
    const chosen = filter.value;
    filter.replaceChildren(el("option", { value: "", text: "All trainees" }),
      ...names.map((name) => el("option", { value: name, text: name, selected: name === chosen })));
    const shown = chosen && byTrainee.has(chosen) ? [chosen] : names;
    $("progress-summary").textContent = rows.length
      ? `${rows.length} session${rows.length === 1 ? "" : "s"} by ${names.length} trainee${names.length === 1 ? "" : "s"}.`
      : "No role-play sessions yet.";
    $("progress-body").replaceChildren(...shown.map((name) => traineeProgress(name, byTrainee.get(name))));
  }

  function traineeProgress(name, rows) {
    const scored = rows.filter((row) => typeof row.score === "number");
    const calmed = rows.filter((row) => row.outcome === "de-escalated").length;
    let trend = "";
    if (scored.length > 1) {
      const [first, last] = [scored[0].score, scored[scored.length - 1].score];
      const word = last > first ? "improving" : last < first ? "falling" : "steady";
      trend = `; score ${Math.round(first)} → ${Math.round(last)} (${word})`;
    }
    const headingId = `trainee-${[...name].map((c) => c.codePointAt(0).toString(36)).join("")}`;
    return el("section", { class: "trainee-progress", "aria-labelledby": headingId, dataset: { trainee: name } },
      el("h3", { id: headingId, text: name }),
      el("p", { class: "meta", text: `${rows.length} session${rows.length === 1 ? "" : "s"}, ${calmed} de-escalated${trend}.` }),
      el("div", { class: "chart score-chart" }, Charts.scoresOverTime(scored)),
      el("table", { class: "records progress-table" },
        el("caption", { class: "sr-only", text: `${name}'s role-play sessions, oldest first` }),
        el("thead", {}, el("tr", {}, ["Date", "Customer", "Result", "Score", "Mood at the end"].map((title) =>
          el("th", { scope: "col", text: title })))),
        el("tbody", {}, rows.map(sessionRow))));
  }

  function sessionRow(row) {
    const persona = personas.get(row.persona);
    const result = row.status === "active" ? "in progress" : (OUTCOMES[row.outcome] || { text: row.outcome }).text;
    const mood = Calm.moodWords(row.final_mood);
    return el("tr", { dataset: { id: row.id, status: row.status } },
      el("td", { "data-label": "Date", text: Calm.when(row.created_at) }),
      el("td", { "data-label": "Customer", text: persona ? persona.title : row.persona }),
      el("td", { "data-label": "Result", text: `${result}${row.replies ? ` · ${row.replies} repl${row.replies === 1 ? "y" : "ies"}` : ""}` }),
      el("td", { "data-label": "Score", text: row.score === null ? "—" : String(Math.round(row.score)) }),
      el("td", { "data-label": "Mood", text: `${mood.icon} ${mood.text} (${row.final_mood.toFixed(1)})` }));
  }
})();
