// The case report form: "Use my location" fills the point from the phone's GPS, and the category list narrows
// to the categories that cover the chosen place. No inline script (CSP); without JavaScript the form still
// posts and the server says which field is wrong.
(function () {
  "use strict";

  function narrowCategories(place, category) {
    const chosen = place.options[place.selectedIndex];
    const ancestors = chosen && chosen.dataset.ancestors ? chosen.dataset.ancestors.split(" ") : null;
    Array.from(category.options).forEach((option) => {
      if (!option.dataset.place) return;
      const fits = !ancestors || ancestors.indexOf(option.dataset.place) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) category.value = "";
    });
    Array.from(category.querySelectorAll("optgroup")).forEach((group) => {
      group.hidden = !Array.from(group.children).some((option) => !option.hidden);
    });
  }

  function useLocation(button, status, latitude, longitude) {
    status.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition((position) => {
      latitude.value = position.coords.latitude.toFixed(6);
      longitude.value = position.coords.longitude.toFixed(6);
      status.textContent = button.dataset.found;
    }, () => {
      status.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const place = document.getElementById("place_id");
    const category = document.getElementById("category_id");
    if (place && category) {
      narrowCategories(place, category);
      place.addEventListener("change", () => narrowCategories(place, category));
    }
    const button = document.getElementById("use-location");
    const status = document.getElementById("location-status");
    const latitude = document.getElementById("latitude");
    const longitude = document.getElementById("longitude");
    if (button && status && latitude && longitude && "geolocation" in navigator) {
      button.hidden = false;
      button.addEventListener("click", () => useLocation(button, status, latitude, longitude));
    }
  });
})();
