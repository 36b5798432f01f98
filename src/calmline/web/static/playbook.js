// The playbook page: the company's sections in a form over the effective playbook; on save the server
// validates, and its error ("source:line: field: reason") is shown next to the field it names.
"use strict";

(async () => {
  const { el, api } = Calm;
  const identity = await Calm.guard();
  if (!identity) return;
  const form = document.getElementById("pb-form");
  const editable = identity.role === "admin";
  let company = {};

  await load();
  form.addEventListener("submit", save);

  async function load() {
    try {
      const playbook = await api("GET", "/v1/playbook");
      company = playbook.company || {};
      document.getElementById("pb-version").textContent = `version ${playbook.version}`;
      buildWeights(playbook.effective.practices || {});
      fill(playbook.effective);
    } catch (error) {
      Calm.showError(`The playbook could not load: ${error.message}`);
      return;
    }
    for (const part of form.querySelectorAll("fieldset, button")) part.disabled = false;
    if (!editable) {
      for (const field of form.querySelectorAll("input, textarea")) field.readOnly = true;
      document.getElementById("pb-save").hidden = true;
      document.getElementById("pb-readonly").hidden = false;
    }
  }

  function buildWeights(practices) {
    document.getElementById("pb-weights").replaceChildren(...Object.entries(practices).map(([id, practice]) => {
      const inputId = `pb-weight-${id}`;
      return el("tr", {},
        el("th", { scope: "row" }, el("label", { for: inputId, text: `${id} ${practice.name}` })),
        el("td", {}, el("input", { id: inputId, inputmode: "decimal", class: "weight", dataset: { path: `practices.${id}.weight`, kind: "number" } })));
    }));
  }

  // --- paths -------------------------------------------------------------------------------

  function fields() { return [...form.querySelectorAll("[data-path]")].filter((f) => f.matches("input, textarea")); }

  function getAt(object, path) {
    return path.split(".").reduce((value, part) => (value && typeof value === "object" ? value[part] : undefined), object);
  }

  function setAt(object, path, value) {
    const parts = path.split(".");
    let node = object;
    for (const part of parts.slice(0, -1)) {
      if (!node[part] || typeof node[part] !== "object" || Array.isArray(node[part])) node[part] = {};
      node = node[part];
    }
    node[parts[parts.length - 1]] = value;
  }

  function deleteAt(object, path) {
    const parts = path.split(".");
    const parents = [object];
    for (const part of parts.slice(0, -1)) {
      const next = parents[parents.length - 1][part];
      if (!next || typeof next !== "object") return;
      parents.push(next);
    }
    delete parents[parents.length - 1][parts[parts.length - 1]];
    for (let i = parents.length - 1; i > 0; i -= 1) {   // drop sections left empty
      if (Object.keys(parents[i]).length) break;
      delete parents[i - 1][parts[i - 1]];
    }
  }

  // --- form <-> playbook -------------------------------------------------------------------

  function show(kind, value) {
    if (value === undefined || value === null) return "";
    if (kind === "words") return Array.isArray(value) ? value.join(", ") : String(value);
    if (kind === "lines") return Array.isArray(value) ? value.join("\n") : String(value);
    if (kind === "contacts") {
      return Array.isArray(value) ? value.map((c) => [c.role, c.name, c.reach].filter((p) => p !== undefined && p !== "").join(" | ")).join("\n") : "";
    }
    if (/^\d\d:\d\d:00$/.test(String(value))) return String(value).slice(0, 5); // times as HH:MM
    return String(value);
  }

  function read(kind, text) {
    const trimmed = text.trim();
    if (kind === "number") return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
    if (kind === "words") return trimmed.split(/[\s,]+/).filter(Boolean);
    if (kind === "lines") return trimmed.split("\n").map((line) => line.trim()).filter(Boolean);
    if (kind === "contacts") {
      return trimmed.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
        const [role, name, reach] = line.split("|").map((part) => part.trim());
        const contact = { role };
        if (name !== undefined) contact.name = name;
        if (reach) contact.reach = reach;
        return contact;
      });
    }
    return trimmed;
  }

  function fill(effective) {
    const rest = JSON.parse(JSON.stringify(company));
    for (const field of fields()) {
      const { path, kind } = field.dataset;
      if (path === "*") continue;
      field.value = show(kind, getAt(company, path));
      const fallback = show(kind, getAt(effective, path));
      field.placeholder = fallback ? `default: ${fallback.split("\n")[0]}${fallback.includes("\n") ? " …" : ""}` : "";
      deleteAt(rest, path);
    }
    document.getElementById("pb-other").value = Object.keys(rest).length ? JSON.stringify(rest, null, 2) : "";
  }

  function collect() {
    const other = document.getElementById("pb-other");
    let result = {};
    if (other.value.trim()) {
      try {
        result = JSON.parse(other.value);
      } catch (error) {
        throw Object.assign(new Error(`not valid JSON: ${error.message}`), { field: other });
      }
      if (!result || typeof result !== "object" || Array.isArray(result)) {
        throw Object.assign(new Error("give an object of sections, e.g. {\"rules\": [...]}"), { field: other });
      }
    }
    for (const field of fields()) {
      const { path, kind } = field.dataset;
      if (path === "*" || !field.value.trim()) continue;
      setAt(result, path, read(kind, field.value));
    }
    return result;
  }

  // --- saving and errors -------------------------------------------------------------------

  async function save(event) {
    event.preventDefault();
    if (!editable) return;
    clearErrors();
    let payload;
    try {
      payload = collect();
    } catch (error) {
      showError(error.message, error.field);
      return;
    }
    try {
      const saved = await api("PUT", "/v1/playbook", payload);
      const note = document.getElementById("pb-saved");
      note.hidden = false;
      note.textContent = `✓ Saved: the playbook is now version ${saved.version}.`;
      await load();
    } catch (error) {
      const detail = error.problems.length
        ? error.problems.map((p) => `${p.field}: ${p.problem}`).join("; ")
        : error.message;
      showError(detail, fieldNamed(detail));
    }
  }

  // "playbook:12: business_hours.timezone: Value error, …" -> the input for business_hours.timezone,
  // or the nearest enclosing section that has one, else the free-form JSON box.
  function fieldNamed(detail) {
    const match = /^.*?:\d+: (.+?): /.exec(detail) || /^[^:]*: (.+?): /.exec(detail);
    if (!match) return null;
    const name = match[1].replace(/\[(\d+)\]/g, ".$1");
    let best = null;
    for (const field of fields()) {
      const path = field.dataset.path;
      if (path === "*") continue;
      if ((name === path || name.startsWith(`${path}.`)) && (!best || path.length > best.dataset.path.length)) best = field;
    }
    return best || document.getElementById("pb-other");
  }

  function showError(text, field) {
    const summary = document.getElementById("pb-summary");
    summary.hidden = false;
    summary.replaceChildren(el("p", {}, el("span", { "aria-hidden": "true", text: "⚠ " }), `Not saved: ${text}`));
    if (!field) return;
    const id = `${field.id}-error`;
    const message = el("p", { class: "field-error", id }, el("span", { "aria-hidden": "true", text: "⚠ " }), text);
    field.insertAdjacentElement("afterend", message);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
    summary.append(el("p", {}, el("a", {
      href: `#${field.id}`, onclick: (e) => { e.preventDefault(); field.focus(); },
    }, "Go to the field")));
    field.focus();
  }

  function clearErrors() {
    document.getElementById("pb-summary").hidden = true;
    document.getElementById("pb-saved").hidden = true;
    for (const message of form.querySelectorAll(".field-error")) message.remove();
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }
})();
