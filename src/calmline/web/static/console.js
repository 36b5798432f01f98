// calmline console, shared by every page: the signed-in key, API calls, live streams, role-based pages.
"use strict";

const Calm = (() => {
  const KEY = "calmline.key";
  const WHO = "calmline.who";
  const STOP_CODES = new Set([4400, 4401, 4403, 4404]); // the server refused: retrying will not help

  const body = document.body;
  const pages = JSON.parse(body.dataset.pages || "{}");

  function key() { return sessionStorage.getItem(KEY); }
  function who() { return JSON.parse(sessionStorage.getItem(WHO) || "null"); }

  function signIn(rawKey, identity) {
    sessionStorage.setItem(KEY, rawKey);
    sessionStorage.setItem(WHO, JSON.stringify(identity));
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(WHO);
  }

  function toLogin() {
    const next = encodeURIComponent(location.pathname + location.search);
    location.replace(`/console/login?next=${next}`);
  }

  class ApiError extends Error {
    constructor(status, detail, problems) {
      super(detail);
      this.status = status;
      this.problems = problems || [];
    }
  }

  async function api(method, path, payload, rawKey) {
    const signedKey = rawKey || key();
    // Signed out while the page was still loading: its remaining calls must not go out keyless.
    if (!signedKey) { toLogin(); throw new ApiError(401, "signed out"); }
    const headers = { Authorization: `Bearer ${signedKey}` };
    const init = { method, headers };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, "the server cannot be reached; retrying may help");
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      if (response.status === 401 && !rawKey) { signOut(); toLogin(); }
      throw new ApiError(response.status, (data && data.detail) || response.statusText, data && data.problems);
    }
    return data;
  }

  // Build DOM without innerHTML: every text from the server is treated as text, never as markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  function setLive(state, text) {
    const status = document.getElementById("live-status");
    if (!status) return;
    const icons = { live: "●", reconnecting: "↻", offline: "✕", closed: "■" };
    status.dataset.state = state;
    status.textContent = `${icons[state] || ""} ${text}`.trim();
  }

  // A WebSocket stream that authenticates in its first message, resumes after the last sequence
  // it saw, and reconnects with backoff after a dropped connection or a server restart.
  class Stream {
    constructor(path, { after = 0, onEvent, onReady, onStop }) {
      this.path = path;
      this.seq = after;
      this.onEvent = onEvent;
      this.onReady = onReady || (() => {});
      this.onStop = onStop || (() => {});
      this.attempt = 0;
      this.stopped = false;
      this.ready = false;
    }

    start() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + this.path);
      this.socket = socket;
      this.ready = false;
      socket.addEventListener("open", () => {
        socket.send(JSON.stringify({ type: "auth", key: key(), after: this.seq }));
      });
      socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
      socket.addEventListener("close", (event) => this.closed(event));
    }

    receive(event) {
      if (event.type === "ready") {
        this.attempt = 0;
        this.ready = true;
        setLive("live", "Live");
        this.onReady(event);
        return;
      }
      if (typeof event.seq === "number") {
        if (event.seq <= this.seq) return; // already seen (a replay overlapping a live event)
        this.seq = event.seq;
      }
      this.onEvent(event);
    }

    closed(event) {
      if (this.stopped) return;
      if (STOP_CODES.has(event.code)) {
        setLive("closed", "Not following");
        if (event.code === 4401) { signOut(); toLogin(); }
        this.onStop(event);
        return;
      }
      // Back off to at most 3 s, with jitter so a restarted server is not met by every client at once.
      const delay = Math.min(3000, 300 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt += 1;
      setLive("reconnecting", "Reconnecting…");
      setTimeout(() => { if (!this.stopped) this.start(); }, delay);
    }

    stop() {
      this.stopped = true;
      if (this.socket) this.socket.close();
    }
  }

  function showError(text) {
    const box = document.getElementById("page-error");
    if (!box) return;
    box.hidden = !text;
    box.textContent = text ? `⚠ ${text}` : "";
  }

  function pageAllowed(role, page) { return Boolean(pages[page]) && pages[page].roles.includes(role); }

  function showNav(role) {
    for (const item of document.querySelectorAll("[data-page-link]")) {
      item.hidden = !pageAllowed(role, item.dataset.pageLink);
    }
  }

  // Every page but the login: make sure a key is signed in and its role may see this page.
  async function guard() {
    if (!key()) { toLogin(); return null; }
    let identity;
    try {
      identity = await api("GET", "/console/whoami");
    } catch (error) {
      if (error.status !== 401) showError(`Cannot check your key: ${error.message}`);
      return null;
    }
    sessionStorage.setItem(WHO, JSON.stringify(identity));
    showNav(identity.role);
    document.getElementById("who").textContent = `${identity.role} · ${identity.tenant}`;
    document.getElementById("sign-out").addEventListener("click", () => { signOut(); toLogin(); });
    const roles = JSON.parse(body.dataset.roles || "[]");
    if (!roles.includes(identity.role)) {
      document.getElementById("forbidden").hidden = false;
      document.getElementById("forbidden-home").href = identity.home;
      return null;
    }
    document.getElementById("content").hidden = false;
    return identity;
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  }

  function duration(fromIso, toIso) {
    const seconds = Math.max(0, ((toIso ? new Date(toIso) : new Date()) - new Date(fromIso)) / 1000);
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  }

  // Mood runs from -5 (furious) to +5 (delighted); words and arrows carry it, never colour alone.
  function moodWords(mood) {
    if (mood <= -3) return { text: "very upset", icon: "▼▼", level: "bad" };
    if (mood <= -1) return { text: "upset", icon: "▼", level: "warn" };
    if (mood < 1) return { text: "neutral", icon: "●", level: "ok" };
    if (mood < 3) return { text: "content", icon: "▲", level: "good" };
    return { text: "pleased", icon: "▲▲", level: "good" };
  }

  function riskWords(risk) {
    const percent = `${Math.round(risk * 100)}%`;
    if (risk >= 0.6) return { text: `high ${percent}`, icon: "⚠", level: "bad" };
    if (risk >= 0.3) return { text: `rising ${percent}`, icon: "▲", level: "warn" };
    return { text: `low ${percent}`, icon: "●", level: "ok" };
  }

  const ALERT_NAMES = {
    crisis: { text: "Crisis", icon: "✚" },
    abuse: { text: "Abuse", icon: "⚑" },
    emergency: { text: "Emergency", icon: "⚡" },
    escalation_risk: { text: "Escalation", icon: "⚠" },
    manager_request: { text: "Manager asked", icon: "☎" },
    commitment_overdue: { text: "Overdue", icon: "◆" },
    supervisor_requested: { text: "Supervisor asked for", icon: "✋" },
  };

  function alertName(kind) { return ALERT_NAMES[kind] || { text: kind, icon: "⚠" }; }

  function alertBadge(kind) {
    const name = alertName(kind);
    return el("span", { class: `badge badge-${kind}` }, el("span", { "aria-hidden": "true", text: name.icon }), ` ${name.text}`);
  }

  // A QA scorecard as the records and training pages show it: practices met or missed, with the reason.
  function scorecardSection(scorecard, heading = "h4") {
    const shown = { met: "✓ met", missed: "✗ missed", "n/a": "– n/a" };
    const judged = scorecard.items.filter((item) => item.status !== "n/a");
    return [el(heading, { text: "Scorecard" }),
      el("ul", { class: "score-items" }, judged.map((item) => el("li", { dataset: { status: item.status } },
        el("strong", { text: shown[item.status] }), ` ${item.practice} ${item.name}`,
        item.note ? el("span", { class: "meta", text: ` — ${item.note}` }) : null,
        item.override ? el("span", { class: "meta", text: ` (QA: ${item.override.reason})` } ) : null))),
      el("p", { class: "meta", text: `${scorecard.items.length - judged.length} practices did not apply.` })];
  }

  function canAcknowledge() {
    const identity = who();
    return Boolean(identity) && (identity.role === "supervisor" || identity.role === "admin");
  }

  return {
    key, who, signIn, signOut, api, ApiError, el, svg, Stream, guard, showError, setLive,
    when, clock, duration, moodWords, riskWords, alertName, alertBadge, canAcknowledge, pageAllowed,
    scorecardSection,
  };
})();
