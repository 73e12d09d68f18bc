// Keep the "places left" counter current by asking availability.json.
// The server renders the same words first, so nothing depends on this script.
const REFRESH_MS = 30000;

function describe(data, threshold) {
  if (data.remaining <= 0) return "Sold out";
  if (data.remaining <= threshold) {
    return data.remaining === 1 ? "Only 1 place left" : `Only ${data.remaining} places left`;
  }
  return `${data.remaining} of ${data.capacity} places left`;
}

function modifier(data, threshold) {
  if (data.remaining <= 0) return "psdm-places--none";
  if (data.remaining <= threshold) return "psdm-places--few";
  return "";
}

async function refresh(element) {
  try {
    const response = await fetch(element.dataset.availabilityUrl, {
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) return;
    const data = await response.json();
    const threshold = Number(element.dataset.threshold);
    const text = describe(data, threshold);
    if (element.textContent.trim() !== text) element.textContent = text;
    element.dataset.remaining = String(data.remaining);
    element.classList.remove("psdm-places--none", "psdm-places--few");
    const extra = modifier(data, threshold);
    if (extra) element.classList.add(extra);
  } catch {
    // Offline or a blip: keep showing the last figure.
  }
}

const counter = document.querySelector("[data-availability-url]");
if (counter) {
  setInterval(() => {
    if (document.visibilityState === "visible") refresh(counter);
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh(counter);
  });
}
