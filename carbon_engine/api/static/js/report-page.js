// The printable report inside the dashboard: the server renders the page (format=html); its
// <main> is shown here under report.css, since this site's Content-Security-Policy refuses the
// inline style the standalone file carries.
import { authorisedFetch } from "./auth.js";
import { applyPeriodLabels } from "./period-i18n.js";

async function show() {
  const q = new URLSearchParams(location.search);
  const period = q.get("period") ?? "month";
  const lang = q.get("lang") === "zh" ? "zh" : "en";
  const holder = document.getElementById("report");
  const response = await authorisedFetch(`/api/v1/reports/${encodeURIComponent(period)}?format=html&lang=${lang}`);
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // not JSON
    }
    holder.textContent = detail;
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  document.documentElement.lang = doc.documentElement.lang;
  document.title = doc.title;
  holder.replaceChildren(document.adoptNode(doc.querySelector("main")));
  holder.setAttribute("aria-busy", "false");
}

applyPeriodLabels();
document.getElementById("print").addEventListener("click", () => window.print());
show();
