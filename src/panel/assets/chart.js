"use strict";
// A small line chart of power (kW, left axis) and SoC (%, right axis) over time, drawn on a
// <canvas>. Colours are read from the page's CSS variables so the dark theme applies.

const CHART_POINTS = 1200;

class SessionChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.points = [];
    this.pending = false;
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  // A new session starts an empty chart.
  clear() {
    this.points = [];
    this.redraw();
  }

  add(t, powerW, soc) {
    this.points.push({ t, kw: powerW / 1000, soc });
    if (this.points.length > CHART_POINTS) {
      this.points.splice(0, this.points.length - CHART_POINTS);
    }
    this.redraw();
  }

  // At most one drawing per animation frame, however many states arrive.
  redraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const css = getComputedStyle(document.documentElement);
    const colour = (name) => css.getPropertyValue(name).trim();
    const pad = { left: 40, right: 36, top: 8, bottom: 18 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const pts = this.points;
    const t0 = pts.length ? pts[0].t : Date.now();
    // At least ten seconds wide, so the first seconds of a session do not fill the chart.
    const t1 = Math.max(pts.length ? pts[pts.length - 1].t : t0, t0 + 10000);
    const maxKw = niceCeiling(Math.max(1, ...pts.map((p) => p.kw)));
    const x = (t) => pad.left + ((t - t0) / (t1 - t0)) * plotW;
    const yKw = (kw) => pad.top + plotH - (kw / maxKw) * plotH;
    const ySoc = (soc) => pad.top + plotH - (soc / 100) * plotH;

    g.font = "11px system-ui, sans-serif";
    g.strokeStyle = colour("--border");
    g.fillStyle = colour("--muted");
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + (plotH * i) / 4;
      g.beginPath();
      g.moveTo(pad.left, y);
      g.lineTo(pad.left + plotW, y);
      g.stroke();
      g.textAlign = "right";
      g.fillText(axisLabel(maxKw * (1 - i / 4)), pad.left - 4, y + 4);
      g.textAlign = "left";
      g.fillText(String(100 - i * 25), pad.left + plotW + 4, y + 4);
    }
    g.textAlign = "left";
    g.fillText(timeOfDay(t0), pad.left, height - 4);
    g.textAlign = "right";
    g.fillText(timeOfDay(t1), pad.left + plotW, height - 4);

    this.line(g, x, yKw, "kw", colour("--power"));
    this.line(g, x, ySoc, "soc", colour("--soc"));
  }

  line(g, x, y, field, colour) {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    let drawing = false;
    for (const p of this.points) {
      const v = p[field];
      if (v === null || v === undefined) {
        drawing = false;
        continue;
      }
      if (drawing) g.lineTo(x(p.t), y(v));
      else g.moveTo(x(p.t), y(v));
      drawing = true;
    }
    g.stroke();
  }
}

// 1, 2, 4, 8, 10, 20, 40, ... at or above v: a quarter of each is a round number for the
// four grid lines.
function niceCeiling(v) {
  const step = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 4, 8]) {
    if (m * step >= v) return m * step;
  }
  return 10 * step;
}

function axisLabel(v) {
  return String(Number(v.toFixed(2)));
}

// Times in the browser's own time zone.
function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString();
}
