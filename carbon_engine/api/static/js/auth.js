// The API's bearer token: asked for when the API answers 401, kept in sessionStorage (gone
// when the tab closes), sent as "Authorization: Bearer". No cookie is ever used, so another
// site cannot make this browser send an authenticated request: CSRF-safe by construction.
import { t } from "./i18n.js";

const KEY = "zcf.token";
let pending = null; // one dialog for every request refused at the same time

export function authHeaders(headers = {}) {
  const token = sessionStorage.getItem(KEY);
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

function ask(reason) {
  const dialog = document.getElementById("login");
  const form = document.getElementById("login-form");
  const input = document.getElementById("login-token");
  document.getElementById("login-reason").textContent = reason ?? "";
  input.value = "";
  return new Promise((resolve) => {
    form.addEventListener(
      "submit",
      (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(KEY, input.value.trim());
        dialog.close();
        resolve();
      },
      { once: true },
    );
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

// Ask for a token (once for concurrent callers); resolves when one was entered.
export function askToken(reason) {
  if (!pending) {
    sessionStorage.removeItem(KEY);
    pending = ask(reason ? `${t("token_refused")}: ${reason}` : t("token_needed")).finally(() => {
      pending = null;
    });
  }
  return pending;
}

// fetch with the token; on 401 ask for one and try again.
export async function authorisedFetch(url, options = {}) {
  for (;;) {
    const response = await fetch(url, { ...options, headers: authHeaders(options.headers) });
    if (response.status !== 401) return response;
    let detail = "";
    try {
      detail = (await response.json()).detail ?? "";
    } catch {
      // not JSON: no reason to show
    }
    await askToken(detail);
  }
}
