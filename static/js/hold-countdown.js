// Tick the "we're holding your places" countdown once a minute-ish, and say
// aloud when 5 minutes and 1 minute remain, then when time has run out.
// The server renders the same words first, so nothing depends on this.
const banner = document.getElementById("hold-countdown");
const announce = document.getElementById("hold-announce");

function minutesLeft(expires) {
  return Math.max(Math.ceil((expires - Date.now()) / 60000), 0);
}

if (banner && banner.dataset.expires) {
  const expires = Date.parse(banner.dataset.expires);
  const target = banner.querySelector("[data-minutes-left]");
  const announced = new Set();
  const tick = () => {
    const left = minutesLeft(expires);
    if (target) {
      target.textContent = left === 1 ? "1 minute left" : `${left} minutes left`;
    }
    for (const mark of [5, 1]) {
      if (left <= mark && left > 0 && !announced.has(mark)) {
        announced.add(mark);
        // Only announce when reached while the page is open.
        if (left === mark && announce) {
          announce.textContent = mark === 1
            ? "1 minute left to complete your booking before your places are released."
            : `${mark} minutes left to complete your booking before your places are released.`;
        }
      }
    }
    if (left === 0) {
      if (target) target.textContent = "time has run out";
      if (announce) {
        announce.textContent = "Time has run out and your places may have been released. Continue to see if they can still be booked.";
      }
      return;
    }
    setTimeout(tick, 1000);
  };
  // Marks already reached when the page loads are shown by the page itself;
// only those reached while it is open are announced.
  const first = minutesLeft(expires);
  for (const mark of [5, 1]) if (first <= mark) announced.add(mark);
  tick();
}
