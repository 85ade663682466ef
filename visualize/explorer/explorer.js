// The explorer's script: steps through the page data (see visualize/page.py) by restyling the
// Graphviz SVG. Every number it shows was printed by Python; it computes none.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("seegrad-data").textContent);
  const byId = (id) => document.getElementById(id);
  const svg = document.querySelector("#graph svg");
  const last = data.steps.length - 1;
  const FIT_UNITS = 400;               // smaller drawings start scaled to the window's width
  const forwardEnd = data.steps.filter((s) => s.phase !== "backward").length - 1;

  const nodeOf = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    const name = g.querySelector("title").textContent;
    g.setAttribute("data-name", name);
    nodeOf.set(name, g);
  }
  const edgesOf = new Map();
  for (const g of svg.querySelectorAll("g.edge")) {
    const key = g.querySelector("title").textContent;
    if (!edgesOf.has(key)) edgesOf.set(key, []);
    edgesOf.get(key).push(g);
  }

  // The drawn texts a step rewrites: a value's `data ...` and `grad ...` fields.
  const units = data.units.map((u, k) => {
    const el = nodeOf.get(u.id);
    const unit = { u, el, dataText: null, gradText: null, state: null };
    for (const t of el.querySelectorAll("text")) {
      if (t.textContent.startsWith("data ")) unit.dataText = t;
      else if (t.textContent.startsWith("grad ")) unit.gradText = t;
    }
    el.setAttribute("data-unit", String(k));
    return unit;
  });
  const edges = data.edges.map((e) => ({ e, el: (edgesOf.get(e.key) || [])[e.nth], state: null }));
  const detailUnit = new Map();
  units.forEach((x, k) => { if (!x.u.op) detailUnit.set(x.u.details, k); });
  const edgesAt = new Map();
  edges.forEach((x) => {
    for (const s of [x.e.fwd, x.e.bwd]) {
      if (s < 0) continue;
      if (!edgesAt.has(s)) edgesAt.set(s, []);
      edgesAt.get(s).push(x);
    }
  });

  let step = 0;
  let timer = null;
  let selected = -1;
  const shareLabels = [];

  function arrived(u, k) {
    let n = 0;
    for (const s of u.arrivals || []) if (s <= k) n += 1;
    return n;
  }

  function stateOf(u, k) {
    if (k === last) return "";                 // the final picture: gradient-health colours
    if (k < u.fwd) return "hidden";
    if (k <= forwardEnd) return k === u.fwd && k > 0 ? "fresh" : "computed";
    if (u.done >= 0 && k >= u.done) return k === u.done ? "current" : "done";
    if (!u.op && !u.needsGrad) return "computed";
    return arrived(u, k) > 0 ? "partial" : "waiting";
  }

  function gradText(u, k) {
    if (u.done >= 0 && k >= u.done) return "grad " + u.grad;
    const n = arrived(u, k);
    return n > 0 ? "grad ? (" + n + "/" + u.arrivals.length + ")" : "grad ?";
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function edgeState(e, k) {
    if (k === e.fwd && k <= forwardEnd) return "fwd";
    if (k === e.bwd) return "flow";
    return "";
  }

  function render() {
    const k = step;
    for (const x of units) {
      const state = stateOf(x.u, k);
      if (state !== x.state) {
        if (x.state) x.el.classList.remove("st-" + x.state);
        if (state) x.el.classList.add("st-" + state);
        x.state = state;
      }
      if (x.dataText) setText(x.dataText, k >= x.u.fwd ? "data " + x.u.data : "data ?");
      if (x.gradText && x.u.needsGrad) setText(x.gradText, gradText(x.u, k));
    }
    for (const x of edges) {
      const state = x.el ? edgeState(x.e, k) : "";
      if (state !== x.state && x.el) {
        if (x.state) x.el.classList.remove("st-" + x.state);
        if (state) x.el.classList.add("st-" + state);
        x.state = state;
      }
    }
    svg.querySelectorAll(".focus").forEach((el) => el.classList.remove("focus"));
    const info = data.steps[k];
    if (info.focus >= 0) units[info.focus].el.classList.add("focus");
    drawShares(k);
    byId("phase").textContent = info.phase === "start" ? "start" : info.phase + " pass";
    byId("step").textContent = String(k);
    byId("slider").value = String(k);
    byId("narration").textContent = info.text;
    document.body.setAttribute("data-step", String(k));
    document.body.setAttribute("data-phase", info.phase);
    renderDetails();
  }

  // A point on the curve near the middle of a Graphviz edge ("M p C p p p C p p p ..."), read
  // from its path data: measuring the path would force a layout of the whole drawing.
  function middleOf(path) {
    const xy = path.getAttribute("d").match(/-?[\d.]+/g).map(Number);
    const segments = Math.max(1, Math.floor((xy.length / 2 - 1) / 3));
    const s = Math.min(Math.floor(segments / 2), segments - 1);
    const t = segments % 2 ? 0.5 : 0;                   // odd: halfway along the middle one
    const at = (i) => [xy[2 * (3 * s + i)], xy[2 * (3 * s + i) + 1]];
    const w = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3];
    const p = [0, 1, 2, 3].map(at);
    return { x: w.reduce((a, wi, i) => a + wi * p[i][0], 0),
             y: w.reduce((a, wi, i) => a + wi * p[i][1], 0) };
  }

  // The value each highlighted edge carries back, written at the middle of the edge.
  function drawShares(k) {
    while (shareLabels.length) shareLabels.pop().remove();
    if (k <= forwardEnd) return;
    for (const x of edgesAt.get(k) || []) {
      if (x.e.bwd !== k || x.e.share === null || !x.el) continue;
      const at = middleOf(x.el.querySelector("path"));
      const text = document.createElementNS("http://www.w3.org/2000/svg", "text");
      text.setAttribute("x", String(at.x));
      text.setAttribute("y", String(at.y - 4));
      text.setAttribute("text-anchor", "middle");
      text.setAttribute("class", "share");
      text.textContent = x.e.share;
      x.el.parentNode.appendChild(text);
      shareLabels.push(text);
    }
  }

  function go(k) {
    step = Math.max(0, Math.min(last, k));
    render();
  }

  function play() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
      byId("play").textContent = "play";
      return;
    }
    if (step === last) go(0);
    byId("play").textContent = "pause";
    timer = setInterval(() => {
      go(step + 1);
      if (step >= last) play();              // stop on the last step
    }, Number(byId("speed").value));
  }

  // ----- the details panel -------------------------------------------------------------
  function element(tag, text, cls) {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function colorOf(heat) {
    const hex = heat >= 0 ? data.colors.positive : data.colors.negative;
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return "rgba(" + rgb.join(",") + "," + Math.min(1, Math.abs(heat)) * 0.6 + ")";
  }

  function table(cells, caption) {
    const box = element("div");
    box.appendChild(element("div", caption + " " + cells.shape + " " + cells.dtype));
    const t = element("table", undefined, "cells");
    cells.rows.forEach((row, r) => {
      const tr = element("tr");
      row.forEach((v, c) => {
        const td = element("td", v);
        td.style.background = colorOf(cells.heat[r][c]);
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    box.appendChild(t);
    if (cells.cut) box.appendChild(element("div", cells.cut, "hint"));
    return box;
  }

  function renderDetails() {
    const panel = byId("details");
    if (selected < 0) return;
    const d = data.details[selected];
    const unit = units[detailUnit.get(selected)].u;
    panel.replaceChildren();
    panel.appendChild(element("h3", d.title + ": " + d.kind));
    const facts = element("table", undefined, "facts");
    for (const [key, value] of d.facts) {
      const tr = element("tr");
      tr.appendChild(element("td", key));
      tr.appendChild(element("td", value));
      facts.appendChild(tr);
    }
    panel.appendChild(facts);
    if (d.data) {
      if (step >= unit.fwd) panel.appendChild(table(d.data, "data"));
      else panel.appendChild(element("p", "data: not computed yet (step " + unit.fwd + ")"));
    }
    if (d.grad) {
      const got = d.shares.filter((s) => s[2] <= step);
      if (unit.done >= 0 && step >= unit.done) panel.appendChild(table(d.grad, "grad"));
      else panel.appendChild(element("p", "grad: pending until step " + unit.done, "grad-pending"));
      if (d.shares.length) {
        const text = got.map((s) => s[1] + " (from " + s[0] + ")").join(" + ");
        const note = got.length === d.shares.length && d.shares.length > 1
          ? "the gradient is the sum of the shares from its " + d.shares.length + " users: "
          : "shares arrived: " + got.length + " of " + d.shares.length + (got.length ? ": " : "");
        panel.appendChild(element("p", note + text, "shares"));
      }
    }
  }

  function select(k) {
    svg.querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
    selected = units[k].u.details;
    units[k].el.classList.add("selected");
    renderDetails();
  }

  // ----- explain a gradient ------------------------------------------------------------
  function highlight(paths) {
    svg.querySelectorAll(".on-path").forEach((el) => el.classList.remove("on-path"));
    for (const p of paths) {
      for (const e of p.edges) if (edges[e].el) edges[e].el.classList.add("on-path");
      for (const u of p.units) units[u].el.classList.add("on-path");
    }
  }

  function explain(k) {
    const list = byId("explain-paths");
    list.replaceChildren();
    byId("explain-sum").textContent = "";
    if (k < 0) { highlight([]); return; }
    const ex = data.explain[k];
    ex.paths.forEach((p) => {
      const li = element("li", p.text);
      li.addEventListener("mouseenter", () => highlight([p]));
      li.addEventListener("mouseleave", () => highlight(ex.paths));
      list.appendChild(li);
    });
    byId("explain-sum").textContent = ex.sum;
    highlight(ex.paths);
  }

  function setUp() {
    byId("total").textContent = String(last);
    const slider = byId("slider");
    slider.max = String(last);
    slider.addEventListener("input", () => go(Number(slider.value)));
    byId("first").addEventListener("click", () => go(0));
    byId("prev").addEventListener("click", () => go(step - 1));
    byId("next").addEventListener("click", () => go(step + 1));
    byId("last").addEventListener("click", () => go(last));
    byId("play").addEventListener("click", play);
    const zoom = byId("zoom");
    const width = parseFloat(svg.getAttribute("width")) * 4 / 3;     // Graphviz sizes in pt
    zoom.value = units.length <= FIT_UNITS ? "fit" : "1";
    const rezoom = () => {
      svg.style.width = zoom.value === "fit" ? "100%" : width * Number(zoom.value) + "px";
      svg.style.height = "auto";
    };
    zoom.addEventListener("change", rezoom);
    rezoom();
    byId("speed").addEventListener("change", () => { if (timer !== null) { play(); play(); } });
    document.addEventListener("keydown", (ev) => {
      const tag = ev.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const keys = { ArrowRight: () => go(step + 1), ArrowLeft: () => go(step - 1),
                     Home: () => go(0), End: () => go(last), " ": play };
      if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
    units.forEach((x, k) => x.el.addEventListener("click", () => select(k)));
    const note = [data.collapsed, data.note].filter(Boolean).join(" ");
    if (note) { byId("note").textContent = note; byId("note").hidden = false; }
    const picker = byId("explain-leaf");
    picker.appendChild(new Option(data.explain.length ? "choose a leaf" : "-", "-1"));
    data.explain.forEach((ex, k) => picker.appendChild(new Option(ex.label, String(k))));
    picker.addEventListener("change", () => explain(Number(picker.value)));
    byId("explain-note").textContent = data.explainNote ||
      "Pick a leaf: every path from the root to it, the product of the local derivatives " +
      "along each, and their sum, which is its .grad.";
    render();
    window.seegradReadyAt = performance.now();
    document.body.setAttribute("data-ready", "1");
  }

  setUp();
}());
