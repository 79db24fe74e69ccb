// Draws the charts of a streamrank monitoring report with uPlot (inlined above this script).
// Each chart's container gets data-rendered="true" once uPlot has drawn it on a non-empty canvas,
// and <body data-charts-rendered> counts them, so a headless browser can check the page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var rendered = {};

  function markRendered(id, el, u) {
    var canvas = u.root.querySelector("canvas");
    if (rendered[id] || !canvas || canvas.width <= 0 || canvas.height <= 0) {
      return;
    }
    rendered[id] = true;
    el.setAttribute("data-rendered", "true");
    el.setAttribute("data-canvas-size", canvas.width + "x" + canvas.height);
    document.body.setAttribute("data-charts-rendered", String(Object.keys(rendered).length));
  }

  // Vertical lines where a model version started scoring, drawn on uPlot's canvas after each draw.
  function swapMarks(marks) {
    return {
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            var dpr = window.devicePixelRatio || 1;
            ctx.save();
            ctx.strokeStyle = "#7b1fa2";
            ctx.fillStyle = "#7b1fa2";
            ctx.lineWidth = 2 * dpr;
            ctx.setLineDash([6 * dpr, 4 * dpr]);
            ctx.font = 12 * dpr + "px sans-serif";
            marks.forEach(function (m) {
              var x = Math.round(u.valToPos(m.t, "x", true));
              if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) {
                return;
              }
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillText("swap \u2192 " + m.label, x + 4 * dpr, u.bbox.top + 14 * dpr);
            });
            ctx.restore();
          },
        ],
      },
    };
  }

  data.charts.forEach(function (c) {
    var el = document.getElementById("chart-" + c.id);
    var series = [{ label: "window end (UTC)" }].concat(
      c.series.map(function (s) {
        return {
          label: s.label,
          stroke: s.color,
          width: s.dash ? 1.5 : 2,
          dash: s.dash ? [8, 5] : undefined,
          spanGaps: false,
          points: { show: !s.dash },
        };
      })
    );
    var opts = {
      title: c.title,
      width: 960,
      height: 300,
      tzDate: function (ts) {
        return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
      },
      scales: { x: { time: true } },
      axes: [{}, { label: c.unit, size: 70 }],
      series: series,
      plugins: [swapMarks(data.marks)],
      hooks: {
        draw: [
          function (u) {
            markRendered(c.id, el, u);
          },
        ],
      },
    };
    new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
  });
})();
