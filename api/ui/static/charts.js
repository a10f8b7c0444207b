// Charts of the pages, drawn by Chart.js from data the page carries as JSON
// (<script type="application/json">): a key result's value over time with its target, and
// the quarter-over-quarter history. The tables beside them hold the same figures.

const Chart = window.Chart;
const COLOURS = ["#0b4fa8", "#0a5c24", "#8f1111", "#6b4500"];
const dataOf = (canvas) => JSON.parse(document.getElementById(canvas.dataset.source).textContent);
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const percent = (value) => `${Math.round(value * 100)}%`;
const common = { animation: false, responsive: true, maintainAspectRatio: false };

function keyResult(canvas) {
  const data = dataOf(canvas);
  const from = Date.parse(data.from), to = Date.parse(data.to);
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        { label: `value${data.unit ? ` (${data.unit})` : ""}`, borderColor: COLOURS[0],
          backgroundColor: COLOURS[0], stepped: "before",
          data: data.points.map((p) => ({ x: Date.parse(p.x), y: p.y })) },
        { label: "target", borderColor: COLOURS[1], borderDash: [6, 4], pointRadius: 0,
          data: [{ x: from, y: data.target }, { x: to, y: data.target }] },
        { label: "start", borderColor: "#7a838d", borderDash: [2, 3], pointRadius: 0,
          data: [{ x: from, y: data.start }, { x: to, y: data.start }] },
      ],
    },
    options: { ...common, scales: { x: { type: "linear", min: from, max: to,
      ticks: { callback: day, maxTicksLimit: 8 } } } },
  });
}

function history(canvas, rates) {
  const data = dataOf(canvas);
  const series = rates
    ? [["average progress", data.avg_progress], ["average score", data.avg_score],
       ["hit rate", data.hit_rate]]
    : [["objectives", data.objectives], ["carried in", data.carried_in],
       ["check-ins", data.check_ins]];
  return new Chart(canvas, {
    type: rates ? "line" : "bar",
    data: {
      labels: data.cycles,
      datasets: series.map(([label, values], i) => ({
        label, data: values, borderColor: COLOURS[i], backgroundColor: COLOURS[i],
        yAxisID: !rates && label === "check-ins" ? "y2" : "y",
      })),
    },
    options: { ...common, scales: rates
      ? { y: { min: 0, max: 1, ticks: { callback: percent } } }
      : { y: { beginAtZero: true, position: "left" },
          y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } },
  });
}

const DRAW = {
  "kr": keyResult,
  "history-rates": (canvas) => history(canvas, true),
  "history-counts": (canvas) => history(canvas, false),
};

document.querySelectorAll("canvas[data-chart]").forEach((canvas) => DRAW[canvas.dataset.chart](canvas));
