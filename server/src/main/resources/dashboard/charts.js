// Tollgate's charts: a few SVG drawings written for this page (no library, nothing fetched at run time).
// Every drawn value also sits in the DOM as text and data-* attributes, so a test (or a screen reader) can read it.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }

  function svg(container, width, height) {
    container.replaceChildren();
    return el("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" }, container);
  }

  /** Horizontal bars: rows = [{label, value}], format(value) -> string. */
  function bars(container, rows, format) {
    if (!rows.length) {
      container.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: "No data in this window." }));
      return;
    }
    const rowH = 26, width = 560, labelW = 170, valueW = 110;
    const s = svg(container, width, rows.length * rowH + 6);
    const max = Math.max(...rows.map(r => r.value), 1e-12);
    rows.forEach((r, i) => {
      const g = el("g", { class: "bar", "data-label": r.label, "data-value": String(r.value), transform: `translate(0, ${i * rowH + 3})` }, s);
      const label = text(g, 0, 17, r.label.length > 24 ? r.label.slice(0, 23) + "…" : r.label, { class: "label" });
      el("title", {}, label).textContent = r.title || r.label; // the whole name on hover, also when cut
      const w = Math.max(2, (width - labelW - valueW) * r.value / max);
      el("rect", { x: labelW, y: 3, width: w, height: rowH - 8, rx: 3, fill: COLORS[i % COLORS.length] }, g);
      text(g, labelW + w + 6, 17, format(r.value), { class: "value" });
    });
  }

  /** Lines over time: series = [{name, points: [[ms, value], ...]}] on buckets [from, to). */
  /** The smallest 1, 2, 2.5 or 5 times a power of ten at or above v (and at least floor): a round top for an axis. */
  function niceTop(v, floor) {
    const x = Math.max(v, floor);
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    return [1, 2, 2.5, 5, 10].map(m => m * p).find(m => m >= x * (1 - 1e-12));
  }

  /** "12-06 14:30" in UTC: a date on every axis label, so a window over midnight or days reads right. */
  function stamp(t) {
    return new Date(t).toISOString().slice(5, 16).replace("T", " ");
  }

  function lines(container, series, from, to, format, opts) {
    const o = Object.assign({ width: 560, height: 220, dashedFrom: null, floor: 1, empty: "No data in this window." }, opts || {});
    if (!series.length || series.every(x => !x.points.length)) {
      container.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: o.empty }));
      return;
    }
    const padL = 70, padR = 10, padT = 10, padB = 40;
    const s = svg(container, o.width, o.height);
    let max = niceTop(Math.max(...series.flatMap(x => x.points.map(p => p[1]))), o.floor);
    if (o.integer && max < 5) max = 5; // counts: whole-number ticks
    // Intervals so that each tick is round: 0.2 of a top of 1, 0.5 of 2, 0.5 of 2.5, 1 of 5.
    const steps = Math.abs(max / Math.pow(10, Math.floor(Math.log10(max))) - 2) < 1e-9 ? 4 : 5;
    const X = t => padL + (o.width - padL - padR) * (t - from) / Math.max(1, to - from);
    const Y = v => o.height - padB - (o.height - padT - padB) * v / max;
    for (let i = 0; i <= steps; i++) {
      const v = max * i / steps;
      el("line", { x1: padL, x2: o.width - padR, y1: Y(v), y2: Y(v), class: "grid" }, s);
      text(s, padL - 6, Y(v) + 4, format(v), { class: "axis", "text-anchor": "end" });
    }
    [from, (from + to) / 2, to].forEach((t, i) => {
      text(s, X(t), o.height - padB + 16, stamp(t), { class: "axis time", "text-anchor": ["start", "middle", "end"][i] });
    });
    text(s, o.width - padR, o.height - padB + 28, "UTC", { class: "axis", "text-anchor": "end" });
    series.forEach((x, i) => {
      const color = COLORS[i % COLORS.length];
      const g = el("g", { class: "series", "data-name": x.name, "data-total": String(x.points.reduce((a, p) => a + p[1], 0)) }, s);
      el("polyline", { points: x.points.map(p => `${X(p[0])},${Y(p[1])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2,
        "stroke-dasharray": x.dashed ? "5 4" : "" }, g);
      x.points.forEach(p => {
        const c = el("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color, "data-value": String(p[1]) }, g);
        el("title", {}, c).textContent = `${x.name}: ${format(p[1])} at ${new Date(p[0]).toISOString()}`;
      });
      // A swatch drawn with the fill attribute: the page's CSP (default-src 'self') drops inline style="".
      const key = el("g", { class: "legend", "data-name": x.name, transform: `translate(${padL + 4 + i * 130}, ${o.height - 16})` }, s);
      el("rect", { width: 10, height: 10, rx: 2, fill: color, class: "swatch" }, key);
      const name = text(key, 14, 9, x.name.length > 16 ? x.name.slice(0, 15) + "…" : x.name);
      el("title", {}, name).textContent = x.name;
    });
  }

  /**
   * Budget burn-down: per budget a track up to the budget (or the projection, if larger), the spend
   * so far, the budget's limit and the straight-line projection to the period's end (dashed).
   */
  function budgets(container, rows, format) {
    const rowH = 34, width = 560, labelW = 170, valueW = 150;
    const s = svg(container, width, rows.length * rowH + 6);
    rows.forEach((b, i) => {
      const limit = Number(b.usd), projected = b.projected == null ? b.spent : b.projected;
      const scale = Math.max(limit, projected, 1e-12), W = width - labelW - valueW;
      const g = el("g", { class: "budget", "data-label": `${b.level} ${b.id}`, "data-spent": String(b.spent),
        "data-projected": String(projected), transform: `translate(0, ${i * rowH + 3})` }, s);
      text(g, 0, 19, `${b.level} ${b.id} (${b.period})`, { class: "label" });
      el("rect", { x: labelW, y: 6, width: W, height: 18, rx: 3, fill: "#e5e7eb" }, g);
      const over = projected > limit;
      el("rect", { x: labelW, y: 6, width: Math.max(2, W * b.spent / scale), height: 18, rx: 3, fill: b.spent > limit ? "#dc2626" : "#2563eb" }, g);
      if (b.projected != null) {
        el("line", { x1: labelW, x2: labelW + W * projected / scale, y1: 15, y2: 15, stroke: over ? "#dc2626" : "#16a34a",
          "stroke-width": 2, "stroke-dasharray": "5 3" }, g);
      }
      el("line", { x1: labelW + W * limit / scale, x2: labelW + W * limit / scale, y1: 2, y2: 28, stroke: "#111827", "stroke-width": 2 }, g);
      text(g, labelW + W + 6, 19, `${format(b.spent)} / ${format(limit)}`, { class: "value" });
    });
  }

  return { bars, lines, budgets };
})();
