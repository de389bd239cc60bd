/* The countdown on a call's page: the server renders "3 days 4 hours left"; this keeps it current each
   minute without reloading, from the moment in data-countdown and the words in the element's data-*. */
(function () {
  "use strict";
  function plural(el, one, many, n) {
    return (n === 1 ? el.dataset[one] : el.dataset[many]).replace(/\d+/, String(n));
  }
  function render(el) {
    var target = Date.parse(el.dataset.countdown);
    var text = el.querySelector(".countdown-text");
    if (isNaN(target) || !text) { return false; }
    var seconds = Math.floor((target - Date.now()) / 1000);
    if (seconds <= 0) { text.textContent = el.dataset.passed; return false; }
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var time = days ? plural(el, "day", "days", days) + " " + plural(el, "hour", "hours", hours)
                    : plural(el, "hour", "hours", hours) + " " + plural(el, "minute", "minutes", minutes);
    text.textContent = el.dataset.left.replace("{time}", time);
    return true;
  }
  function start() {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
    items.forEach(function (el) {
      var timer = window.setInterval(function () { if (!render(el)) { window.clearInterval(timer); } }, 30000);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
