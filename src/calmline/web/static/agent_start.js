// The agent panel's start page: follow a conversation by id, or start one.
"use strict";

(async () => {
  const identity = await Calm.guard();
  if (!identity) return;
  const RECENT = "calmline.recent";
  const recent = JSON.parse(sessionStorage.getItem(RECENT) || "[]");
  const list = document.getElementById("recent");
  document.getElementById("recent-empty").hidden = recent.length > 0;
  for (const item of recent) {
    list.append(Calm.el("li", {}, Calm.el("a", { href: `/console/agent/${encodeURIComponent(item.id)}` },
      item.label || item.id)));
  }

  document.getElementById("open-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = document.getElementById("open-id").value.trim();
    if (id) location.assign(`/console/agent/${encodeURIComponent(id)}`);
  });

  document.getElementById("new-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const customer = document.getElementById("new-customer").value.trim();
    const channel = document.getElementById("new-channel").value;
    const error = document.getElementById("new-error");
    error.textContent = "";
    try {
      const body = { channel };
      if (customer) body.customer_name = customer;
      const created = await Calm.api("POST", "/v1/conversations", body);
      location.assign(`/console/agent/${encodeURIComponent(created.id)}`);
    } catch (failure) {
      error.textContent = `⚠ Could not start it: ${failure.message}`;
    }
  });
})();
