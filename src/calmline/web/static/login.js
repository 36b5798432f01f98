// The login page: check the key against the server, keep it in this tab, go to the role's start page.
"use strict";

(() => {
  const form = document.getElementById("login-form");
  const input = document.getElementById("api-key");
  const error = document.getElementById("login-error");
  document.getElementById("content").hidden = false;

  function destination(identity) {
    const next = new URLSearchParams(location.search).get("next") || "";
    const page = next.startsWith("/console/") ? next.split("/")[2].split("?")[0] : "";
    // Only follow ?next= to a console page this role may see (never to another site).
    return page && Calm.pageAllowed(identity.role, page) ? next : identity.home;
  }

  async function signIn(rawKey) {
    const identity = await Calm.api("GET", "/console/whoami", undefined, rawKey);
    Calm.signIn(rawKey, identity);
    location.assign(destination(identity));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rawKey = input.value.trim();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    if (!rawKey) {
      error.textContent = "⚠ Enter your API key.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    try {
      await signIn(rawKey);
    } catch (failure) {
      error.textContent = failure.status === 401
        ? "⚠ That key was not accepted: it is unknown or revoked."
        : `⚠ Could not sign in: ${failure.message}`;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  });

  // Already signed in in this tab: go straight on.
  const known = Calm.who();
  if (Calm.key() && known) location.replace(destination(known));
  else input.focus();
})();
