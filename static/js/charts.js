// Draws plotly charts from <script type="application/json"> data blocks (no inline script: CSP).
// plotly.min.js is large, so it is fetched only when a chart comes near the screen.
(function () {
  "use strict";
  let loading = null;

  function loadPlotly(src) {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve(window.Plotly);
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function draw(element) {
    const block = document.getElementById(element.dataset.chart);
    if (!block) return;
    const figure = JSON.parse(block.textContent);
    loadPlotly(element.dataset.plotlySrc).then((Plotly) => {
      element.textContent = "";
      element.classList.add("chart-drawn");
      Plotly.newPlot(element, figure.data, figure.layout,
        { responsive: true, displaylogo: false, displayModeBar: false });
    }).catch(() => { /* the table below the chart holds the same figures */ });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const charts = document.querySelectorAll("[data-chart]");
    if (!charts.length) return;
    charts.forEach((element) => {
      const placeholder = element.querySelector(".chart-placeholder");
      if (placeholder && element.dataset.loadingText) placeholder.textContent = element.dataset.loadingText;
    });
    if (!("IntersectionObserver" in window)) {
      charts.forEach(draw);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      entries.forEach((entry) => {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "300px" });
    charts.forEach((element) => observer.observe(element));
  });
})();
