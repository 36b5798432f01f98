// Small SVG charts for the records and training pages, drawn from data already fetched; each carries a text summary.
"use strict";

const Charts = (() => {
  const { svg, el } = Calm;

  function frame(width, height, label) {
    return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
      svg("title", { text: label }));
  }

  function empty(text) { return el("p", { class: "meta", text }); }

  // One vertical stroke per conversation from its starting mood (grey dot) to its ending mood (blue dot).
  function moodOverTime(records) {
    if (!records.length) return empty("No conversations to chart.");
    const items = [...records].sort((a, b) => String(a.closed_at).localeCompare(String(b.closed_at)));
    const [width, height, left, top, bottom] = [320, 160, 28, 10, 24];
    const plotH = height - top - bottom;
    const y = (mood) => top + ((5 - mood) / 10) * plotH;
    const step = (width - left - 10) / Math.max(1, items.length);
    const better = items.filter((r) => r.mood.end > r.mood.start).length;
    const chart = frame(width, height,
      `Mood at start and end of ${items.length} conversations: ${better} ended better than they started.`);
    for (const mood of [-5, 0, 5]) {
      chart.append(svg("line", { class: "axis", x1: left, x2: width - 5, y1: y(mood), y2: y(mood) }));
      chart.append(svg("text", { class: "label", x: 2, y: y(mood) + 3, text: mood > 0 ? `+${mood}` : String(mood) }));
    }
    items.forEach((record, i) => {
      const x = left + step * (i + 0.5);
      chart.append(svg("line", { class: "link", x1: x, x2: x, y1: y(record.mood.start), y2: y(record.mood.end) }));
      chart.append(svg("circle", { class: "series-start", cx: x, cy: y(record.mood.start), r: 3 }));
      chart.append(svg("circle", { class: "series-end", cx: x, cy: y(record.mood.end), r: 3.5 }));
    });
    const first = new Date(items[0].closed_at).toLocaleDateString();
    const last = new Date(items[items.length - 1].closed_at).toLocaleDateString();
    chart.append(svg("text", { class: "label", x: left, y: height - 6, text: first }));
    chart.append(svg("text", { class: "label", x: width - 5, y: height - 6, "text-anchor": "end", text: last }));
    return el("div", {}, chart, el("p", { class: "meta", text: "● grey: start · ● blue: end (−5 furious … +5 delighted)" }));
  }

  // Horizontal bars: the share of applicable practices each agent met, QA overrides included.
  function adherence(aggregates) {
    const rows = aggregates.map((a) => {
      let met = 0;
      let judged = 0;
      for (const tally of Object.values(a.practices || {})) { met += tally.met; judged += tally.met + tally.missed; }
      return { name: a.group, rate: judged ? met / judged : null, conversations: a.conversations };
    }).filter((r) => r.rate !== null);
    if (!rows.length) return empty("No scorecards yet.");
    const [width, rowH, left] = [320, 22, 90];
    const chart = frame(width, rows.length * rowH + 8,
      `Practice adherence: ${rows.map((r) => `${r.name} ${Math.round(r.rate * 100)}%`).join(", ")}.`);
    rows.forEach((row, i) => {
      const y = 4 + i * rowH;
      const w = (width - left - 70) * row.rate; // room on the right for "100% (12)"
      chart.append(svg("text", { class: "label", x: 0, y: y + 13, text: row.name.slice(0, 14) }));
      chart.append(svg("rect", { class: "bar-rect", x: left, y: y + 3, width: Math.max(1, w), height: rowH - 8, rx: 2 }));
      chart.append(svg("text", { class: "label", x: left + w + 4, y: y + 13, text: `${Math.round(row.rate * 100)}% (${row.conversations})` }));
    });
    return el("div", {}, chart, el("p", { class: "meta", text: "Share of applicable practices met; conversations in brackets." }));
  }

  // Alerts counted by the hour of day the conversation started, in this browser's time zone.
  function alertsByHour(records) {
    const hours = new Array(24).fill(0);
    for (const record of records) hours[new Date(record.created_at).getHours()] += (record.alerts || []).length;
    const total = hours.reduce((a, b) => a + b, 0);
    if (!total) return empty("No alerts in these conversations.");
    const [width, height, top, bottom] = [320, 140, 12, 20];
    const peak = Math.max(...hours);
    const busiest = hours.indexOf(peak);
    const chart = frame(width, height, `${total} alerts; the most (${peak}) in conversations started at ${busiest}:00.`);
    const barW = width / 24;
    hours.forEach((count, hour) => {
      const h = ((height - top - bottom) * count) / peak;
      const x = hour * barW;
      if (count) {
        chart.append(svg("rect", { class: "bar-rect", x: x + 1, y: height - bottom - h, width: barW - 2, height: h }));
        chart.append(svg("text", { class: "label", x: x + barW / 2, y: height - bottom - h - 2, "text-anchor": "middle", text: String(count) }));
      }
      if (hour % 6 === 0) chart.append(svg("text", { class: "label", x, y: height - 6, text: `${hour}:00` }));
    });
    chart.append(svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }));
    return el("div", {}, chart);
  }

  // One trainee's role-play scores (0-100) in the order they were played, joined by a line.
  function scoresOverTime(sessions) {
    const scored = sessions.filter((s) => typeof s.score === "number");
    if (!scored.length) return empty("No scored sessions yet.");
    const [width, height, left, top, bottom] = [320, 110, 28, 8, 20];
    const y = (score) => top + ((100 - score) / 100) * (height - top - bottom);
    const x = (i) => left + (scored.length === 1 ? (width - left) / 2 : (i * (width - left - 10)) / (scored.length - 1));
    const first = scored[0];
    const last = scored[scored.length - 1];
    const chart = frame(width, height, `Scores over ${scored.length} finished session${scored.length === 1 ? "" : "s"}: from ${Math.round(first.score)} `
      + `on ${new Date(first.created_at).toLocaleDateString()} to ${Math.round(last.score)} on ${new Date(last.created_at).toLocaleDateString()}.`);
    for (const score of [0, 50, 100]) {
      chart.append(svg("line", { class: "axis", x1: left, x2: width - 5, y1: y(score), y2: y(score) }));
      chart.append(svg("text", { class: "label", x: 2, y: y(score) + 3, text: String(score) }));
    }
    chart.append(svg("polyline", { class: "score-line", points: scored.map((s, i) => `${x(i)},${y(s.score)}`).join(" ") }));
    scored.forEach((s, i) => chart.append(svg("circle", { class: "series-end", cx: x(i), cy: y(s.score), r: 3 })));
    chart.append(svg("text", { class: "label", x: left, y: height - 5, text: new Date(first.created_at).toLocaleDateString() }));
    chart.append(svg("text", { class: "label", x: width - 5, y: height - 5, "text-anchor": "end",
      text: new Date(last.created_at).toLocaleDateString() }));
    return chart;
  }

  return { moodOverTime, adherence, alertsByHour, scoresOverTime };
})();
