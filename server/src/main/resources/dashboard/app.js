// The dashboard: reads /admin/stats with an admin token kept in this tab (sessionStorage), and draws it.
// The token can be passed once as /ui#token=... (a fragment never reaches a server or its logs).
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  // Plain money, never 1e-12: whole dollars from $100, cents from $1, then up to six decimals, then "< $0.000001".
  const usd = v => v === 0 ? "$0" : v >= 100 ? "$" + v.toFixed(0) : v >= 1 ? "$" + v.toFixed(2) : v >= 0.01 ? "$" + v.toFixed(4)
    : v >= 0.000001 ? "$" + v.toFixed(6).replace(/0+$/, "") : "< $0.000001";
  const ms = v => v == null ? "–" : v >= 1000 ? (v / 1000).toFixed(2) + " s" : Math.round(v) + " ms";
  const count = v => v >= 1e6 ? (v / 1e6).toFixed(1) + "M" : v >= 1e4 ? (v / 1e3).toFixed(1) + "k" : String(v);
  let data = null;

  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem("tollgate-token", hash.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  async function load() {
    const token = sessionStorage.getItem("tollgate-token");
    if (!token) return login("");
    const res = await fetch("/admin/stats?since=" + $("window").value, { headers: { authorization: "Bearer " + token } });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem("tollgate-token");
      const body = await res.json().catch(() => ({}));
      return login((body.error && body.error.message) || "That token was refused.");
    }
    data = await res.json();
    // Live budget balances with the recent burn rate, and agent sessions; the page still draws if either is missing.
    const extra = path => fetch(path, { headers: { authorization: "Bearer " + token } }).then(r => r.ok ? r.json() : null).catch(() => null);
    [data.live, data.sessions] = await Promise.all([extra("/admin/budgets"), extra("/admin/sessions?limit=50&since=" + $("window").value)]);
    $("login").hidden = true;
    $("dashboard").hidden = false;
    draw();
  }

  function login(message) {
    $("dashboard").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message;
  }

  function draw() {
    const d = data, from = Date.parse(d.window.from || d.window.since), to = Date.parse(d.window.until);
    const p = d.policy || {};
    $("commit").textContent = (p.commit || "").slice(0, 12);
    $("commit").title = [p.commit, p.author, p.message].filter(Boolean).join("\n");
    $("reload").textContent = p.last_result ? "last reload: " + p.last_result + (p.errors && p.errors.length ? " (" + p.errors.length + " errors)" : "")
      + (p.degraded ? " · source unreachable" : "") : "";
    // Who is signed in: an admin token's id, or person:EMAIL for a sign-in through the identity provider.
    $("viewer").textContent = d.viewer ? "· signed in as " + d.viewer.id + " (" + d.viewer.role + ")" : "";
    const t = d.totals;
    $("t-requests").textContent = count(t.requests);
    // Refusals (4xx: keys, access, limits, budgets, bad requests) are the gateway doing its job; failures (5xx) are not.
    $("t-refused").textContent = t.requests ? (100 * t.refused / t.requests).toFixed(1) + "%" : "–";
    $("t-failed").textContent = t.requests ? (100 * t.failed / t.requests).toFixed(1) + "%" : "–";
    $("t-cost").textContent = usd(t.cost_usd);
    $("t-latency").textContent = [d.latency_ms.p50, d.latency_ms.p95, d.latency_ms.p99].map(ms).join(" / ");
    $("t-ttft").textContent = [d.ttft_ms.p50, d.ttft_ms.p95, d.ttft_ms.p99].map(ms).join(" / ");
    $("t-tokens").textContent = count(t.input_tokens) + " / " + count(t.output_tokens);
    const dim = $("spend-dim").value;
    const windowName = $("window").selectedOptions[0].textContent;
    const empty = t.requests ? "No spend in the last " + windowName + "."
      : "No requests in the last " + windowName + ". Send one through the gateway and it shows here within a minute.";
    $("empty").hidden = t.requests > 0;
    $("empty").textContent = "No requests in the last " + windowName + ". Point a client at this gateway with a key of its "
      + "policy (README: Pointing clients at it); requests appear here within a minute.";
    Charts.lines($("c-spend-time"), d.spend[dim].series, from, to, usd, { floor: 0.01, empty });
    Charts.lines($("c-rate"), [
      { name: "requests", points: d.rate.map(r => [r.t, r.requests]) },
      { name: "refused (4xx)", points: d.rate.map(r => [r.t, r.refused]) },
      { name: "failed (5xx)", points: d.rate.map(r => [r.t, r.failed]) }], from, to, v => String(Math.round(v * 10) / 10),
      { floor: 1, integer: true, empty: "No requests in the last " + windowName + "." });
    const top = s => s.top.map(r => ({ label: r.name, value: r.cost_usd }));
    Charts.bars($("c-top-keys"), top(d.spend.key), usd);
    Charts.bars($("c-models"), top(d.spend.model), usd);
    Charts.bars($("c-teams"), top(d.spend.team), usd);
    budgets(d.budgets, d.live ? d.live.budgets : []);
    sessions(d.sessions ? d.sessions.sessions : []);
    $("updated").textContent = new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC";
    document.body.dataset.ready = "true";
  }

  function budgets(rows, live) {
    const box = $("c-budgets");
    if (!rows.length) {
      box.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: "The policy declares no budgets." }));
      return;
    }
    Charts.budgets(box, rows, usd);
    const list = document.createElement("ul");
    rows.forEach(b => {
      const li = document.createElement("li");
      const projected = b.projected == null ? "" : `, projected ${usd(b.projected)} by ${b.period_end.slice(0, 10)}`;
      li.textContent = `${b.level} ${b.id}: ${usd(b.spent)} of ${usd(Number(b.usd))} ${b.period}${projected}`
        + (b.exhausted_at ? ` — runs out ${b.exhausted_at.slice(0, 16).replace("T", " ")} UTC at this rate` : "")
        + runOut(live.find(l => l.level === b.level && l.owner === b.id && l.period === b.period && !l.model));
      if (b.exhausted_at) li.className = "over";
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  // The projection from GET /admin/budgets: the last day's burn rate against what the live balance has left.
  function runOut(l) {
    if (!l || l.burn_usd_per_day == null) return "";
    const rate = Number(l.burn_usd_per_day);
    if (l.runs_out) return `; at the last day's ${usd(rate)}/day it runs out ${l.runs_out.slice(0, 16).replace("T", " ")} UTC`;
    return rate > 0 ? `; at the last day's ${usd(rate)}/day it lasts ${l.resets ? "until it resets " + l.resets : "for now"}` : "";
  }

  // Session ids are client input: written as text, never as markup.
  const cell = (tr, text) => tr.appendChild(document.createElement("td")).textContent = text;

  function sessions(rows) {
    const body = document.querySelector("#sessions tbody");
    body.replaceChildren();
    $("sessions-empty").hidden = rows.length > 0;
    rows.forEach(s => {
      const tr = body.appendChild(document.createElement("tr"));
      tr.dataset.id = s.id;
      [s.id, s.key, usd(Number(s.cost_usd)), count(s.requests), count(s.tool_calls), s.models.join(", "),
        s.last_seen.slice(0, 19).replace("T", " "), s.paused ? "paused: " + s.paused.rule : "running or done"].forEach(t => cell(tr, t));
      if (s.paused) tr.className = "over";
      tr.addEventListener("click", () => timeline(s, tr));
    });
  }

  async function timeline(s, tr) {
    document.querySelectorAll("#sessions tbody tr.open").forEach(r => r.classList.remove("open"));
    tr.classList.add("open");
    const res = await fetch("/admin/sessions/" + encodeURIComponent(s.id) + "?key=" + encodeURIComponent(s.key),
      { headers: { authorization: "Bearer " + sessionStorage.getItem("tollgate-token") } });
    if (!res.ok) return;
    const t = await res.json();
    $("timeline-title").textContent = `Session ${s.id} of key ${s.key}: ${usd(Number(t.cost_usd))} in ${t.requests} requests`;
    const body = $("timeline-rows");
    body.replaceChildren();
    t.timeline.forEach(r => {
      const row = body.appendChild(document.createElement("tr"));
      [r.time.slice(0, 19).replace("T", " "), String(r.status), r.model || "", r.tool_call || "",
        count(r.input_tokens) + " / " + count(r.output_tokens), r.cost_usd == null ? "–" : usd(Number(r.cost_usd)),
        r.error_type ? r.error_type + (r.notes ? ": " + r.notes : "") : ""].forEach(x => cell(row, x));
    });
    $("timeline").hidden = false;
  }

  $("login").addEventListener("submit", e => {
    e.preventDefault();
    sessionStorage.setItem("tollgate-token", $("token").value.trim());
    load();
  });
  $("window").addEventListener("change", load);
  $("spend-dim").addEventListener("change", () => data && draw());
  load();
  setInterval(load, 30000);
})();
