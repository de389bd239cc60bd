// Draws plotly charts from <script type="application/json"> data blocks (no inline script: CSP).
// plotly.min.js is large, so it is fetched only when a chart comes near the screen.
// Charts speak the page's language (<html lang>): on Chinese pages plotly gets its zh-CN locale, served
// beside this file, and date axes show Chinese dates ("10月29日", "2026年10月") instead of "Oct 29, 2026".
(function () {
  "use strict";
  const LOCALE = (document.documentElement.lang || "zh-CN").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
  const LOCALE_SRC = document.currentScript
    ? new URL("plotly-locale-zh-cn.js", document.currentScript.src).href : null;
  const DAY = 24 * 60 * 60 * 1000;
  const CHINESE_DATE_TICKS = [
    { dtickrange: [null, DAY], value: "%-m月%-d日 %H:%M" },
    { dtickrange: [DAY, "M1"], value: "%-m月%-d日" },
    { dtickrange: ["M1", "M12"], value: "%Y年%-m月" },
    { dtickrange: ["M12", null], value: "%Y年" },
  ];
  const loaded = {};

  function loadScript(src) {
    if (!loaded[src]) {
      loaded[src] = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loaded[src];
  }

  function loadPlotly(src) {
    const plotly = window.Plotly ? Promise.resolve() : loadScript(src);
    if (LOCALE !== "zh-CN" || !LOCALE_SRC) return plotly.then(() => window.Plotly);
    return plotly.then(() => loadScript(LOCALE_SRC)).then(() => {
      window.Plotly.register(window.portalPlotlyLocales["zh-CN"]);
      return window.Plotly;
    });
  }

  function localiseDates(layout) {
    if (LOCALE !== "zh-CN") return layout;
    Object.keys(layout).filter((key) => /^[xy]axis\d*$/.test(key)).forEach((key) => {
      const axis = layout[key];
      if (axis && axis.type === "date" && !axis.tickformat && !axis.tickformatstops) {
        axis.tickformatstops = CHINESE_DATE_TICKS;
        axis.hoverformat = axis.hoverformat || "%Y年%-m月%-d日";
      }
    });
    return layout;
  }

  function draw(element) {
    const block = document.getElementById(element.dataset.chart);
    if (!block) return;
    const figure = JSON.parse(block.textContent);
    loadPlotly(element.dataset.plotlySrc).then((Plotly) => {
      element.textContent = "";
      element.classList.add("chart-drawn");
      Plotly.newPlot(element, figure.data, localiseDates(figure.layout || {}),
        { responsive: true, displaylogo: false, displayModeBar: false, locale: LOCALE });
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
