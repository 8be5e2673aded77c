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
      text(g, 0, 17, r.label.length > 24 ? r.label.slice(0, 23) + "…" : r.label, { class: "label" });
      const w = Math.max(2, (width - labelW - valueW) * r.value / max);
      el("rect", { x: labelW, y: 3, width: w, height: rowH - 8, rx: 3, fill: COLORS[i % COLORS.length] }, g);
      text(g, labelW + w + 6, 17, format(r.value), { class: "value" });
    });
  }

  /** Lines over time: series = [{name, points: [[ms, value], ...]}] on buckets [from, to). */
  function lines(container, series, from, to, format, opts) {
    const o = Object.assign({ width: 560, height: 220, dashedFrom: null }, opts || {});
    if (!series.length || series.every(x => !x.points.length)) {
      container.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: "No data in this window." }));
      return;
    }
    const padL = 70, padR = 10, padT = 10, padB = 40;
    const s = svg(container, o.width, o.height);
    const max = Math.max(...series.flatMap(x => x.points.map(p => p[1])), 1e-12);
    const X = t => padL + (o.width - padL - padR) * (t - from) / Math.max(1, to - from);
    const Y = v => o.height - padB - (o.height - padT - padB) * v / max;
    for (let i = 0; i <= 4; i++) {
      const v = max * i / 4;
      el("line", { x1: padL, x2: o.width - padR, y1: Y(v), y2: Y(v), class: "grid" }, s);
      text(s, padL - 6, Y(v) + 4, format(v), { class: "axis", "text-anchor": "end" });
    }
    [from, (from + to) / 2, to].forEach((t, i) => {
      const d = new Date(t);
      text(s, X(t), o.height - padB + 16, d.toISOString().slice(11, 16) + "Z", { class: "axis", "text-anchor": ["start", "middle", "end"][i] });
    });
    series.forEach((x, i) => {
      const color = COLORS[i % COLORS.length];
      const g = el("g", { class: "series", "data-name": x.name, "data-total": String(x.points.reduce((a, p) => a + p[1], 0)) }, s);
      el("polyline", { points: x.points.map(p => `${X(p[0])},${Y(p[1])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2,
        "stroke-dasharray": x.dashed ? "5 4" : "" }, g);
      x.points.forEach(p => {
        const c = el("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color, "data-value": String(p[1]) }, g);
        el("title", {}, c).textContent = `${x.name}: ${format(p[1])} at ${new Date(p[0]).toISOString()}`;
      });
      text(s, padL + 4 + i * 130, o.height - 6, "■ " + x.name, { class: "legend", style: `fill: ${color}` });
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
