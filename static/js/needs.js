// Suggests needs that may already say the same thing while a resident types a title (no inline script: CSP).
// Without JavaScript the form still posts, and the page shows the same suggestions after a failed submit.
(function () {
  "use strict";
  const DELAY_MS = 350;

  function render(box, needs) {
    box.textContent = "";
    if (!needs.length) return;
    const heading = document.createElement("h2");
    heading.textContent = box.dataset.heading;
    const list = document.createElement("ul");
    needs.forEach((need) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = need.url;
      link.textContent = need.title;
      const count = document.createElement("span");
      count.className = "muted";
      count.textContent = " +" + need.backing_count;
      item.append(link, count);
      list.appendChild(item);
    });
    box.append(heading, list);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("similar-needs");
    const title = document.getElementById("title");
    const place = document.getElementById("place");
    if (!box || !title || !place || !window.fetch) return;
    let timer = null;
    let latest = 0;

    function lookup() {
      const text = title.value.trim();
      if (!place.value || text.length < 2) {
        render(box, []);
        return;
      }
      const asked = ++latest;
      const url = box.dataset.url + "?place_id=" + encodeURIComponent(place.value) + "&q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { needs: [] }))
        .then((data) => { if (asked === latest) render(box, data.needs || []); })
        .catch(() => { /* suggestions are a help, not a requirement */ });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(lookup, DELAY_MS);
    }
    title.addEventListener("input", later);
    place.addEventListener("change", later);
  });
})();
