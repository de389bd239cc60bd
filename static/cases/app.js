// The phone app's offline queue (templates/cases/app.html, portal/cases/views/app_shell.py).
// Every report and follow-up is first kept in IndexedDB with an idempotency key, then sent; it leaves the
// queue only when the portal answered 200 or 201, so a report made without a connection is sent when the
// connection is back (the 'online' event, or the next time the app opens) and a replay is recognised by
// its key: each arrives exactly once. A refusal (400, 409) stays in the queue with its message, to be fixed
// or discarded. Photos are kept as bytes (ArrayBuffer), which every browser's IndexedDB stores.
(function () {
  "use strict";
  const DB_NAME = "portal-cases-app";
  const STORE = "queue";
  const WAITING = "waiting";
  const SENDING = "sending";
  const REFUSED = "refused";
  const SIGN_IN = "sign_in";

  const root = document.getElementById("phone-app");
  if (!root || !window.indexedDB || !window.fetch) return;
  const texts = JSON.parse(root.dataset.texts);
  const userId = root.dataset.user;
  const queueBox = document.getElementById("app-queue");
  const queueHeading = document.getElementById("app-queue-heading");
  const queueList = document.getElementById("app-queue-list");
  const sentList = document.getElementById("app-sent-list");
  const reportForm = document.getElementById("app-report-form");
  const formStatus = document.getElementById("app-form-status");
  let editingKey = null; // the refused report being fixed keeps its key: nothing was stored under it

  function say(template, values) {
    return Object.keys(values || {}).reduce((text, name) => text.split("{" + name + "}").join(values[name]),
                                            template);
  }

  // --- the queue in IndexedDB --------------------------------------------------------------------------
  let database = null;

  function openDatabase() {
    if (!database) {
      database = new Promise((resolve, reject) => {
        const opening = indexedDB.open(DB_NAME, 1);
        opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "key" });
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
    }
    return database;
  }

  async function withStore(mode, work) {
    const db = await openDatabase();
    const transaction = db.transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    await new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    return request ? request.result : undefined;
  }

  const saveItem = (item) => withStore("readwrite", (store) => store.put(item));
  const dropItem = (key) => withStore("readwrite", (store) => store.delete(key));

  async function queuedItems() {
    const items = await withStore("readonly", (store) => store.getAll());
    return items.filter((item) => item.user === userId).sort((a, b) => a.createdAt - b.createdAt);
  }

  async function updateItem(item, changes) {
    Object.assign(item, changes);
    await saveItem(item);
    await render();
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // a page served without TLS has no randomUUID
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  async function itemFrom(form, key) {
    const fields = {};
    const photos = [];
    for (const element of form.elements) {
      if (!element.name || element.disabled || ["csrf_token", "idempotency_key"].includes(element.name)) continue;
      if (element.type === "file") {
        for (const file of element.files) {
          photos.push({ name: file.name, type: file.type, data: await file.arrayBuffer() });
        }
      } else if (!["submit", "button"].includes(element.type)) {
        fields[element.name] = element.value;
      }
    }
    const title = form.dataset.kind === "report" ? fields.title : form.dataset.title;
    return { key, user: userId, kind: form.dataset.kind, url: form.action, title, fields, photos,
             state: WAITING, message: "", field: null, createdAt: Date.now() };
  }

  function formDataOf(item) {
    const data = new FormData();
    Object.entries(item.fields).forEach(([name, value]) => data.append(name, value));
    data.append("idempotency_key", item.key);
    item.photos.forEach((photo) => data.append("photos", new Blob([photo.data], { type: photo.type }), photo.name));
    return data;
  }

  // --- sending -----------------------------------------------------------------------------------------
  async function freshToken() {
    // The page may have been kept for days (offline); its CSRF token may be older than the token's life.
    const response = await fetch(root.dataset.sessionUrl, {
      credentials: "same-origin", redirect: "manual", cache: "no-store", headers: { Accept: "application/json" } });
    if (response.type === "opaqueredirect" || response.status === 401) return null; // signed out
    if (!response.ok) throw new Error("the portal is unavailable");
    const session = await response.json();
    return String(session.user_id) === userId ? session.csrf_token : null;
  }

  async function send(item, token) {
    // true: go on with the next item; false: stop (no connection, or the portal cannot take it now)
    await updateItem(item, { state: SENDING, message: "" });
    let response;
    try {
      response = await fetch(item.url, { method: "POST", body: formDataOf(item), credentials: "same-origin",
                                         redirect: "manual",
                                         headers: { "X-CSRFToken": token, Accept: "application/json" } });
    } catch (error) {
      await updateItem(item, { state: WAITING });
      return false;
    }
    if (response.status === 200 || response.status === 201) {
      const answer = await response.json();
      await dropItem(item.key);
      showSent(item, answer);
      if (formStatus.textContent === texts.saved) formStatus.textContent = "";
      return true;
    }
    if (response.type === "opaqueredirect") {
      await updateItem(item, { state: SIGN_IN });
      return false;
    }
    let error = null;
    try {
      error = (await response.json()).error;
    } catch (ignored) { /* not the portal's JSON: a proxy's error page */ }
    if (!error || response.status >= 500 || response.status === 429) {
      await updateItem(item, { state: WAITING, message: texts.retry });
      return false;
    }
    await updateItem(item, { state: REFUSED, message: error.message, field: error.field });
    return true;
  }

  let sending = false;
  let sendAgain = false;

  async function sendQueue(alsoRefused) {
    if (sending) {
      sendAgain = true;
      return;
    }
    sending = true;
    try {
      do {
        sendAgain = false;
        const items = (await queuedItems()).filter((item) => alsoRefused === item.key || item.state !== REFUSED);
        if (!items.length) break;
        let token;
        try {
          token = await freshToken();
        } catch (offline) {
          for (const item of items) if (item.state === SENDING) await updateItem(item, { state: WAITING });
          break;
        }
        if (!token) {
          for (const item of items) await updateItem(item, { state: SIGN_IN });
          break;
        }
        for (const item of items) {
          if (!(await send(item, token))) break;
        }
      } while (sendAgain);
    } finally {
      sending = false;
      await render();
    }
  }

  // --- showing the queue ---------------------------------------------------------------------------------
  function stateText(item) {
    return { [WAITING]: texts.waiting, [SENDING]: texts.sending, [REFUSED]: texts.refused,
             [SIGN_IN]: texts.sign_in }[item.state] || texts.waiting;
  }

  function button(label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "button button-small";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  async function render() {
    const items = await queuedItems();
    queueBox.hidden = !items.length && !sentList.children.length;
    queueHeading.textContent = !items.length ? texts.all_sent
      : items.length === 1 ? texts.count_one : say(texts.count_many, { count: items.length });
    queueList.textContent = "";
    items.forEach((item) => {
      const entry = document.createElement("li");
      entry.className = "app-queue-item app-queue-" + item.state;
      entry.dataset.key = item.key;
      const title = document.createElement("strong");
      title.className = "app-queue-title";
      title.textContent = item.title || "—";
      const state = document.createElement("span");
      state.className = "app-queue-state";
      state.textContent = stateText(item) + (item.photos.length ? " · " + say(texts.photos, { count: item.photos.length }) : "");
      entry.append(title, state);
      if (item.message) {
        const message = document.createElement("p");
        message.className = item.state === REFUSED ? "error-text" : "muted";
        message.textContent = item.message;
        entry.appendChild(message);
      }
      const actions = document.createElement("p");
      actions.className = "app-queue-actions";
      if (item.state !== SENDING) actions.appendChild(button(texts.send_now, () => sendQueue(item.key)));
      if (item.state === REFUSED && item.kind === "report" && reportForm) {
        actions.appendChild(button(texts.fix, () => fix(item)));
      }
      if (item.state !== SENDING) {
        actions.appendChild(button(texts.discard, async () => {
          if (window.confirm(texts.discard_confirm)) {
            await dropItem(item.key);
            await render();
          }
        }));
      }
      entry.appendChild(actions);
      queueList.appendChild(entry);
    });
  }

  function showSent(item, answer) {
    const entry = document.createElement("li");
    entry.className = "app-sent-item";
    const link = document.createElement("a");
    link.href = answer.url;
    link.textContent = item.title || answer.reference;
    entry.append(link, " · " + say(answer.created ? texts.sent : texts.already, { reference: answer.reference }));
    sentList.prepend(entry);
  }

  // --- the forms -----------------------------------------------------------------------------------------
  function fix(item) {
    Object.entries(item.fields).forEach(([name, value]) => {
      const element = reportForm.elements.namedItem(name);
      if (element && element.type !== "file") element.value = value;
    });
    narrowCategories();
    const photoInput = reportForm.querySelector("input[type=file]");
    if (photoInput && window.DataTransfer && item.photos.length) {
      const chosen = new DataTransfer();
      item.photos.forEach((photo) => chosen.items.add(new File([photo.data], photo.name, { type: photo.type })));
      photoInput.files = chosen.files;
    }
    editingKey = item.key;
    formStatus.textContent = item.message ? texts.fixing + " " + item.message : texts.fixing;
    const field = item.field && reportForm.elements.namedItem(item.field);
    reportForm.scrollIntoView({ block: "start" });
    (field && field.focus ? field : document.getElementById("report")).focus();
  }

  async function queueForm(form) {
    if (!form.checkValidity()) {
      form.reportValidity();
      return;
    }
    const key = form === reportForm && editingKey ? editingKey : newKey();
    const item = await itemFrom(form, key);
    await saveItem(item);
    if (form === reportForm) {
      editingKey = null;
      const place = form.elements.namedItem("place_id");
      const chosenPlace = place ? place.value : "";
      form.reset();
      if (place) place.value = chosenPlace; // the worker reports in the same grid again
      ["latitude", "longitude"].forEach((name) => { form.elements.namedItem(name).value = ""; });
      document.getElementById("app-location-status").textContent = "";
      narrowCategories();
      formStatus.textContent = texts.saved;
    } else {
      form.reset();
      const details = form.closest("details");
      if (details) details.open = false;
    }
    await render();
    sendQueue();
  }

  const busy = new WeakSet(); // a double tap queues one report, not two with two keys
  document.querySelectorAll("form.app-queued-form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      event.stopImmediatePropagation(); // portal.js would disable the button for a page that never comes
      if (busy.has(form)) return;
      busy.add(form);
      queueForm(form).catch((error) => { formStatus.textContent = String(error); })
        .finally(() => busy.delete(form));
    });
  });

  // A resident chooses the place first; the categories offered are those of that place and the places above it.
  function narrowCategories() {
    if (!reportForm) return;
    const place = reportForm.elements.namedItem("place_id");
    const category = reportForm.elements.namedItem("category_id");
    if (!place || !category) return;
    const chosen = place.selectedOptions[0];
    const above = chosen && chosen.dataset.places ? chosen.dataset.places.split(" ") : null;
    for (const option of category.options) {
      if (!option.value) continue;
      const fits = !above || above.includes(option.dataset.place);
      option.hidden = !fits;
      option.disabled = !fits;
    }
    for (const group of category.querySelectorAll("optgroup")) {
      group.hidden = !Array.from(group.children).some((option) => !option.hidden);
    }
    if (category.selectedOptions[0] && category.selectedOptions[0].disabled) category.value = "";
  }

  // --- location, the camera, the connection -----------------------------------------------------------------
  const locateButton = document.getElementById("app-locate");
  const locationStatus = document.getElementById("app-location-status");

  function locate() {
    if (!navigator.geolocation || !reportForm) return;
    locationStatus.textContent = texts.locating;
    navigator.geolocation.getCurrentPosition((position) => {
      reportForm.elements.namedItem("latitude").value = position.coords.latitude.toFixed(6);
      reportForm.elements.namedItem("longitude").value = position.coords.longitude.toFixed(6);
      locationStatus.textContent = say(texts.located, { metres: Math.round(position.coords.accuracy) });
    }, () => { locationStatus.textContent = texts.no_location; },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  if (reportForm) {
    const place = reportForm.elements.namedItem("place_id");
    if (place) place.addEventListener("change", narrowCategories);
    narrowCategories();
    if (navigator.geolocation && locateButton) {
      locateButton.hidden = false;
      locateButton.addEventListener("click", locate);
    }
  }

  const reportButton = document.getElementById("app-report-button");
  if (reportButton && reportForm) {
    reportButton.addEventListener("click", (event) => {
      event.preventDefault();
      document.getElementById("report").scrollIntoView({ block: "start" });
      const photoInput = reportForm.querySelector("input[type=file]");
      if (photoInput) photoInput.click(); // the camera, in the same tap
      if (!reportForm.elements.namedItem("latitude").value) locate();
    });
  }

  const offlineNote = document.getElementById("app-offline");

  function showConnection() {
    offlineNote.hidden = navigator.onLine;
  }

  window.addEventListener("online", () => {
    showConnection();
    sendQueue();
  });
  window.addEventListener("offline", showConnection);
  showConnection();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.workerUrl, { scope: root.dataset.scope }).catch(() => {
      /* without it the app still queues; it only does not open offline */
    });
  }

  render().then(() => sendQueue());
})();
