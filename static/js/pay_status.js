// The QR pay page: ask the portal every 2.5 s whether the gift is confirmed, then go to the receipt.
// Without this file the "I have paid" button does the same on demand.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector(".pay-qr[data-status-url]");
  if (!box) return;
  const url = box.dataset.statusUrl;
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const body = await response.json();
        if (body.status !== "pending") {
          stopped = true;
          const status = box.querySelector(".pay-status");
          if (status) status.textContent = body.label;
          window.location.assign(body.receipt_url);
          return;
        }
      }
    } catch (error) {
      // offline for a moment: try again at the next tick
    }
    window.setTimeout(poll, 2500);
  };
  window.setTimeout(poll, 2500);
});
