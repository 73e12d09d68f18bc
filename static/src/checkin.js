// Door check-in: scan badges with the camera or a handheld scanner, find
// people without one, and show a result nobody can misread.
//
// Every scan gets a nonce once and is sent until the server answers, so a
// network blip never admits anyone twice and never shows green by itself.
// Timings (camera frame to verdict) are kept on window.checkinTimings.
import "./govuk-init.js";

const SCAN_EVERY_MS = 120; // one camera frame looked at every ~120 ms
const FRAME_SIDE = 400; // frames are shrunk to at most 400 x 400 pixels
const SAME_CODE_PAUSE_MS = 3000; // a code just answered is ignored this long
const RESULT_MS = 2500; // a verdict stays up this long, then scanning resumes
const CHECKING_AFTER_MS = 400; // "Checking…" only if the answer is slow
const REQUEST_TIMEOUT_MS = 6000;
const STATS_EVERY_MS = 5000;
const SEARCH_DELAY_MS = 300;
const DOOR_KEY = "psdm.checkin.door";
const CAMERA_KEY = "psdm.checkin.camera";

const root = document.getElementById("checkin");
if (root) start(root);

function start(root) {
  const urls = JSON.parse(document.getElementById("checkin-urls").textContent);
  const eventSlug = root.dataset.event;
  // The page's token, or the cookie's newer one after a sign-in elsewhere.
  const csrfToken = () =>
    document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)?.[1] ?? root.dataset.csrfToken;
  // This sign-in's door device token: the API answers it without loading
  // the session. Without one (an older page), the session and CSRF token.
  const deviceToken = root.dataset.deviceToken;
  const apiHeaders = (extra = {}) => ({
    Accept: "application/json",
    ...extra,
    ...(deviceToken ? { Authorization: `Bearer ${deviceToken}` } : {}),
  });
  const lang = document.documentElement.lang || "en-GB";

  const timings = { decoder: null, frames: [], scans: [] };
  window.checkinTimings = timings;

  // --- Words and templates (kept in the HTML so they can be translated) ---

  const texts = new Map(
    [...document.getElementById("checkin-text").content.querySelectorAll("[data-text]")].map(
      (el) => [el.dataset.text, el.textContent.trim()],
    ),
  );
  const t = (key, values = {}, fallback = key) =>
    (texts.get(key) ?? fallback).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

  function render(id, values = {}) {
    const fragment = document.getElementById(id).content.cloneNode(true);
    for (const el of fragment.querySelectorAll("[data-show]")) {
      if (!values[el.dataset.show]) el.remove();
    }
    for (const el of fragment.querySelectorAll("[data-slot]")) {
      el.textContent = values[el.dataset.slot] ?? "";
    }
    for (const el of fragment.querySelectorAll("[data-slot-href]")) {
      el.href = values[el.dataset.slotHref] ?? "#";
    }
    return fragment;
  }

  function record(list, entry) {
    list.push(entry);
    if (list.length > 2000) list.shift();
  }

  function randomNonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      // Private browsing: the setting lasts until the page closes.
    }
  }

  function formatWhen(iso) {
    if (!iso) return "";
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return iso;
    const time = when.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    const sameDay = when.toDateString() === new Date().toDateString();
    const base = sameDay
      ? time
      : `${when.toLocaleDateString(lang, { day: "numeric", month: "short" })} ${time}`;
    const minutes = Math.round((when.getTime() - Date.now()) / 60000);
    if (!sameDay || minutes > 0 || minutes < -120) return base;
    const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    return `${base} (${relative.format(minutes, "minute")})`;
  }

  // --- Live counter ---------------------------------------------------------

  const checkedInEl = root.querySelector('[data-count="checked_in"]');
  const expectedEl = root.querySelector('[data-count="expected"]');

  function showCounts(counts) {
    if (!counts) return;
    const checkedIn = String(counts.checked_in);
    const expected = String(counts.expected);
    if (checkedInEl.textContent !== checkedIn) checkedInEl.textContent = checkedIn;
    if (expectedEl.textContent !== expected) expectedEl.textContent = expected;
  }

  function apiUrl(path, params) {
    const url = new URL(path, window.location.href);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url;
  }

  async function refreshCounts() {
    try {
      const response = await fetch(apiUrl(urls.stats, { event: eventSlug }), {
        headers: apiHeaders(),
        cache: "no-store",
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.ok) showCounts(await response.json());
    } catch {
      // Offline for a moment: keep the last figures.
    }
  }

  setInterval(() => {
    if (document.visibilityState === "visible") refreshCounts();
  }, STATS_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshCounts();
  });

  // --- Door name --------------------------------------------------------------

  const doorForm = document.getElementById("door-form");
  const doorInput = document.getElementById("door-name");
  const doorShown = document.getElementById("door-name-shown");
  let door = (storageGet(DOOR_KEY) || "").trim() || t("door-default");
  doorInput.value = door;
  doorShown.textContent = door;
  doorForm.addEventListener("submit", (event) => {
    event.preventDefault();
    door = doorInput.value.trim() || t("door-default");
    doorInput.value = door;
    doorShown.textContent = door;
    storageSet(DOOR_KEY, door);
    doorForm.closest("details").open = false;
  });

  // --- Sound and vibration ------------------------------------------------------

  let audio = null;
  function unlockAudio() {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    try {
      audio ??= new AudioContext();
      if (audio.state === "suspended") audio.resume();
    } catch {
      audio = null;
    }
  }
  // Browsers only play sound after the user has touched the page once.
  document.addEventListener("pointerdown", unlockAudio, { capture: true, passive: true });
  document.addEventListener("keydown", unlockAudio, { capture: true, passive: true });

  const CUES = {
    // [frequency Hz, start s, length s]
    good: { wave: "sine", notes: [[880, 0, 0.12], [1320, 0.12, 0.18]], buzz: [120] },
    warn: { wave: "triangle", notes: [[660, 0, 0.15], [660, 0.25, 0.15]], buzz: [120, 80, 120] },
    bad: { wave: "square", notes: [[220, 0, 0.5]], buzz: [400, 100, 400] },
  };

  function cue(kind) {
    const { wave, notes, buzz } = CUES[kind];
    if (navigator.vibrate && navigator.userActivation?.hasBeenActive) navigator.vibrate(buzz);
    if (!audio || audio.state !== "running") return;
    const now = audio.currentTime;
    for (const [frequency, at, length] of notes) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = wave;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.25, now + at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + length);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(now + at);
      oscillator.stop(now + at + length + 0.05);
    }
  }

  // --- Result panel -------------------------------------------------------------

  const panel = document.getElementById("result");
  const announcer = document.getElementById("result-announce");
  const codeInput = document.getElementById("code");
  let hideTimer = null;
  let refocusCode = false;
  let panelCode = null; // the badge code whose verdict is showing

  function announce(text) {
    announcer.textContent = "";
    // A fresh change, so the same words are read out again.
    setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  function showPanel(variant, content, { dismissable = true, code = null } = {}) {
    clearTimeout(hideTimer);
    panelCode = code;
    panel.className = `psdm-result psdm-result--${variant}`;
    const inner = document.createElement("div");
    inner.className = "psdm-result__inner";
    inner.append(content);
    if (dismissable) inner.append(render("tpl-close"));
    panel.replaceChildren(inner);
    panel.dataset.result = variant;
    panel.dataset.dismissable = dismissable ? "true" : "false";
    panel.hidden = false;
    const words = [...inner.querySelectorAll("[data-announce]")]
      .map((el) => el.textContent.replace(/\s+/g, " ").trim())
      .filter(Boolean);
    announce(words.join(". "));
    if (dismissable) hideTimer = setTimeout(hidePanel, RESULT_MS);
  }

  function hidePanel() {
    clearTimeout(hideTimer);
    const focused = panel.contains(document.activeElement) ? document.activeElement : null;
    const byKeyboard = focused?.matches(":focus-visible");
    panel.hidden = true;
    panel.replaceChildren();
    panelCode = null;
    delete panel.dataset.result;
    // Back to the badge code box for keyboards and scanners; on a touch
    // screen that would open the on-screen keyboard over the camera.
    if (refocusCode || byKeyboard) codeInput.focus();
  }

  // Someone reading the result with a keyboard or screen reader keeps it
  // up for as long as they are in it (WCAG 2.2.1); leaving restarts the clock.
  panel.addEventListener("focusin", () => clearTimeout(hideTimer));
  panel.addEventListener("focusout", (event) => {
    if (panel.hidden || panel.contains(event.relatedTarget)) return;
    if (panel.dataset.dismissable === "true") hideTimer = setTimeout(hidePanel, RESULT_MS);
  });

  panel.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "give-up") {
      giveUp();
      return;
    }
    if (event.target.closest("a")) return;
    if (action === "close" || panel.dataset.dismissable === "true") hidePanel();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden && panel.dataset.dismissable === "true") {
      hidePanel();
    }
  });

  // --- Talking to the server ----------------------------------------------------
  //
  // Scans, admissions and undos go through one queue, one at a time. A
  // request that gets no answer is sent again, unchanged (same nonce), with
  // growing pauses, until the server answers or the volunteer gives up.

  const queue = [];
  let pumping = false;

  function enqueue(job) {
    queue.push(job);
    pump();
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length) {
        const job = queue[0];
        const outcome = await sendUntilAnswered(job);
        queue.shift();
        if (outcome) handleOutcome(job, outcome);
      }
    } finally {
      pumping = false;
    }
  }

  async function post(url, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      return await fetch(url, {
        method: "POST",
        headers: apiHeaders(
          deviceToken
            ? { "Content-Type": "application/json" }
            : { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        ),
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function classify(response) {
    if (response.type === "opaqueredirect" || response.status === 401) {
      return { kind: "signed-out" };
    }
    if (response.status === 429 || response.status === 503) {
      const seconds = Number(response.headers.get("Retry-After"));
      return { kind: "retry", why: "busy", after: seconds > 0 ? seconds * 1000 : null };
    }
    if (response.status === 0 || response.status === 502 || response.status === 504) {
      return { kind: "retry", why: "offline" };
    }
    let data;
    try {
      data = await response.json();
    } catch {
      // A 200 cut off half way is a blip; anything else is the server's fault.
      if (response.ok) return { kind: "retry", why: "offline" };
      return response.status === 403 ? { kind: "signed-out" } : { kind: "error" };
    }
    if (response.status === 403) {
      return data.error === "csrf" ? { kind: "csrf" } : { kind: "forbidden", data };
    }
    if (response.ok || response.status === 400) return { kind: "answer", data };
    return { kind: "error" };
  }

  function backoff(attempt) {
    const base = Math.min(8000, 500 * 2 ** (attempt - 1));
    return base * (0.8 + Math.random() * 0.4);
  }

  function pause(job, ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      job.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function sendUntilAnswered(job) {
    const checking = setTimeout(
      () => showPanel("pending", render("tpl-checking"), { dismissable: false }),
      CHECKING_AFTER_MS,
    );
    try {
      for (let attempt = 1; !job.cancelled; attempt += 1) {
        const sent = performance.now();
        let outcome;
        try {
          outcome = await classify(await post(job.url, job.body));
        } catch {
          outcome = { kind: "retry", why: "offline" };
        }
        job.roundTripMs = performance.now() - sent;
        job.attempts = attempt;
        if (outcome.kind === "csrf" && !job.csrfRetried) {
          // Signed in again in another tab: the cookie has the new token.
          job.csrfRetried = true;
          continue;
        }
        if (outcome.kind === "csrf") return { kind: "signed-out" };
        if (outcome.kind !== "retry") return outcome;
        clearTimeout(checking);
        showRetrying(job, attempt, outcome.why);
        await pause(job, outcome.after ?? backoff(attempt));
      }
      return null;
    } finally {
      clearTimeout(checking);
    }
  }

  function showRetrying(job, attempt, why) {
    const waiting = queue.length - 1;
    showPanel(
      "pending",
      render("tpl-retrying", {
        heading: t(why === "busy" ? "retry-busy" : "retry-offline"),
        attempt: String(attempt),
        waiting: waiting > 0 ? String(waiting) : "",
      }),
      { dismissable: false },
    );
  }

  function giveUp() {
    const job = queue[0];
    if (!job) return;
    job.cancelled = true;
    job.wake?.();
    // Still in front of the camera: give the volunteer a moment first.
    if (job.code) recent.set(job.code, performance.now() + SAME_CODE_PAUSE_MS);
    hidePanel();
  }

  // Back online: try the waiting request now rather than after its pause.
  window.addEventListener("online", () => queue[0]?.wake?.());

  // --- Verdicts -----------------------------------------------------------------

  const recent = new Map(); // code -> time before which the camera ignores it
  let lastAdmission = null; // {ticket, name, code}
  const undoArea = document.getElementById("undo-area");
  const undoButton = document.getElementById("undo-button");

  function setUndo(admission) {
    lastAdmission = admission;
    undoArea.hidden = !admission;
    if (admission) undoButton.querySelector('[data-slot="name"]').textContent = admission.name;
  }

  undoButton.addEventListener("click", () => {
    if (!lastAdmission) return;
    const admission = lastAdmission;
    setUndo(null);
    enqueue({
      kind: "undo",
      url: urls.undo,
      body: { ticket: admission.ticket, event: eventSlug, door },
      admission,
      source: "undo",
    });
  });

  function ticketValues(ticket) {
    if (!ticket) return {};
    const role =
      ticket.role && ticket.role !== "attendee" ? t(`role-${ticket.role}`, {}, ticket.role) : "";
    return {
      name: ticket.name,
      organisation: ticket.organisation,
      ticket_type: ticket.ticket_type,
      role,
      access_needs: ticket.access_needs ? "yes" : "",
    };
  }

  function handleOutcome(job, outcome) {
    refocusCode = job.source === "handheld";
    if (outcome.kind === "signed-out" || outcome.kind === "forbidden") {
      const login = new URL(root.dataset.loginUrl, window.location.href);
      login.searchParams.set("next", window.location.pathname);
      const values = {
        heading: t(outcome.kind === "forbidden" ? "not-allowed" : "signed-out"),
        login: login.href,
        message: outcome.data?.message,
      };
      showPanel("neutral", render("tpl-signed-out", values), { dismissable: false });
      cue("bad");
      return;
    }
    if (outcome.kind === "error") {
      showPanel("neutral", render("tpl-error"));
      cue("bad");
      return;
    }
    const data = outcome.data;
    showCounts(data.counts);
    if (job.kind === "undo") {
      const done = data.result === "undone";
      showPanel("neutral", render(done ? "tpl-undone" : "tpl-not-checked-in", job.admission));
      if (done && job.admission.code) recent.delete(job.admission.code);
      if (lastSearch) runSearch(lastSearch);
      return;
    }
    const values = ticketValues(data.ticket);
    if (data.result === "admitted") {
      showPanel("admitted", render("tpl-admitted", values), { code: job.code });
      cue("good");
      if (data.ticket) setUndo({ ticket: data.ticket.id, name: data.ticket.name, code: job.code });
    } else if (data.result === "already_checked_in") {
      showPanel(
        "already",
        render("tpl-already", {
          ...values,
          checked_in_at: formatWhen(data.checked_in_at),
          checked_in_by: data.checked_in_by,
          door: data.door,
        }),
        { code: job.code },
      );
      cue("warn");
    } else {
      const reasonKey = `reason-${data.result}`;
      const reason = texts.has(reasonKey) ? t(reasonKey) : t("reason-invalid");
      const message = data.message && data.message !== reason ? data.message : "";
      showPanel("refused", render("tpl-refused", { ...values, reason, message }), {
        code: job.code,
      });
      cue("bad");
    }
    if (job.code) recent.set(job.code, performance.now() + SAME_CODE_PAUSE_MS);
    if (job.source === "search" && lastSearch) runSearch(lastSearch);
    requestAnimationFrame(() => {
      const shown = performance.now();
      record(timings.scans, {
        source: job.source,
        result: data.result,
        attempts: job.attempts,
        decodeMs: job.decodeMs ?? null,
        roundTripMs: job.roundTripMs,
        frameToVerdictMs: job.frameAt != null ? shown - job.frameAt : null,
        grabToVerdictMs: job.grabbedAt != null ? shown - job.grabbedAt : null,
        inputToVerdictMs: shown - job.createdAt,
      });
    });
  }

  function scan(code, source, extra = {}) {
    enqueue({
      kind: "scan",
      url: urls.scan,
      body: { code, nonce: randomNonce(), event: eventSlug, door },
      code,
      source,
      createdAt: performance.now(),
      ...extra,
    });
  }

  function admit(person) {
    // A second tap while the first is on its way would only say "already in".
    if (queue.some((job) => job.kind === "admit" && job.body.ticket === person.id)) return;
    enqueue({
      kind: "admit",
      url: urls.admit,
      body: { ticket: person.id, nonce: randomNonce(), event: eventSlug, door },
      source: "search",
      createdAt: performance.now(),
    });
  }

  // --- Handheld scanners and typed codes -----------------------------------------

  const codeForm = document.getElementById("code-form");
  codeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    codeInput.value = "";
    codeInput.focus();
    if (code) scan(code, "handheld");
  });

  // A scanner "types" wherever the focus is: if it is on nothing in
  // particular, send the keys to the badge code box.
  document.addEventListener("keydown", (event) => {
    if (event.key.length !== 1 || event.key === " ") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const interactive = "a, button, input, textarea, select, summary, [contenteditable], [tabindex]";
    if (target !== document.body && target.closest?.(interactive)) return;
    codeInput.focus();
  });

  // Laptops with a USB scanner: start ready to scan. On touch screens the
  // on-screen keyboard would hide the camera, so wait for a tap.
  if (window.matchMedia("(pointer: fine)").matches) codeInput.focus();

  // --- Manual search ------------------------------------------------------------

  const searchForm = document.getElementById("search-form");
  const searchInput = document.getElementById("search");
  const searchStatus = document.getElementById("search-status");
  const searchResults = document.getElementById("search-results");
  let searchTimer = null;
  let searchController = null;
  let lastSearch = "";

  function statusText(status) {
    if (status === "held") return t("status-held");
    if (status === "cancelled") return t("status-cancelled");
    return "";
  }

  function showPeople(people) {
    const items = people.map((person) => {
      const fragment = render("tpl-person", {
        name: person.name,
        organisation: person.organisation,
        email: person.email,
        ticket_type: person.ticket_type,
        checked_in_at: formatWhen(person.checked_in_at),
        checked_in_by: person.checked_in_by || "",
        door: person.door || "",
        status_text: statusText(person.status),
      });
      const button = fragment.querySelector(".psdm-person__admit");
      // Already in: who let them in and when, not a button to admit again.
      if (person.checked_in_at) button.remove();
      else button.addEventListener("click", () => admit(person));
      return fragment;
    });
    searchResults.replaceChildren(...items);
    if (!people.length) searchStatus.textContent = t("search-none");
    else if (people.length === 1) searchStatus.textContent = t("search-one");
    else searchStatus.textContent = t("search-many", { n: people.length });
  }

  async function runSearch(query) {
    searchController?.abort();
    if (query.length < 2) {
      lastSearch = "";
      searchResults.replaceChildren();
      searchStatus.textContent = query ? t("search-short") : "";
      return;
    }
    lastSearch = query;
    searchController = new AbortController();
    try {
      const response = await fetch(apiUrl(urls.search, { event: eventSlug, q: query }), {
        headers: apiHeaders(),
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        signal: searchController.signal,
      });
      const outcome = await classify(response);
      if (outcome.kind === "signed-out") {
        handleOutcome({ source: "search" }, outcome);
        return;
      }
      if (outcome.kind !== "answer") throw new Error("search failed");
      showPeople(outcome.data.results || []);
    } catch (error) {
      if (error.name === "AbortError") return;
      searchStatus.textContent = t("search-failed");
    }
  }

  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(searchInput.value.trim()), SEARCH_DELAY_MS);
  });
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    runSearch(searchInput.value.trim());
  });

  // --- Camera -------------------------------------------------------------------

  const cameraView = document.getElementById("camera-view");
  const video = document.getElementById("camera-video");
  const cameraStatus = document.getElementById("camera-status");
  const cameraToggle = document.getElementById("camera-toggle");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let decoder = null;
  let frameTimer = null;
  let cameraOn = false;
  let framePresentedAt = null; // when the newest camera frame reached the page

  // Note when each camera frame arrives, so the timings can start there.
  function watchFrames() {
    if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) return;
    const onFrame = (now, metadata) => {
      framePresentedAt = metadata.presentationTime ?? now;
      if (cameraOn) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  function setCameraStatus(key) {
    cameraStatus.textContent = t(key);
  }

  function setToggle(on) {
    cameraToggle.hidden = false;
    cameraToggle.textContent = t(on ? "camera-turn-off" : "camera-turn-on");
  }

  async function makeDecoder() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          timings.decoder = "BarcodeDetector";
          return {
            async decode() {
              const started = performance.now();
              const codes = await detector.detect(canvas);
              return { code: codes[0]?.rawValue ?? null, ms: performance.now() - started };
            },
          };
        }
      } catch {
        // Fall back to jsQR.
      }
    }
    const worker = new Worker(root.dataset.decoderUrl);
    worker.postMessage({ jsqr: root.dataset.jsqrUrl });
    let waiting = null;
    worker.addEventListener("message", (event) => {
      waiting?.resolve(event.data);
      waiting = null;
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      waiting?.reject(new Error("decoder failed"));
      waiting = null;
    });
    timings.decoder = "jsQR";
    return {
      decode() {
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject };
          worker.postMessage(
            { width: image.width, height: image.height, data: image.data.buffer },
            [image.data.buffer],
          );
        });
      },
    };
  }

  async function cameraStart() {
    if (!navigator.mediaDevices?.getUserMedia) {
      setCameraStatus("camera-unsupported");
      return;
    }
    cameraOn = true;
    storageSet(CAMERA_KEY, "on");
    setCameraStatus("camera-starting");
    setToggle(true);
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          facingMode: { ideal: "environment" },
          width: { ideal: 1280 },
          height: { ideal: 720 },
        },
      });
    } catch (error) {
      cameraOn = false;
      stream = null;
      const blocked = error.name === "NotAllowedError" || error.name === "SecurityError";
      const missing = error.name === "NotFoundError" || error.name === "OverconstrainedError";
      setCameraStatus(blocked ? "camera-denied" : missing ? "camera-missing" : "camera-unsupported");
      setToggle(false);
      return;
    }
    if (!cameraOn) {
      // Turned off while the browser was asking.
      for (const track of stream.getTracks()) track.stop();
      stream = null;
      return;
    }
    video.srcObject = stream;
    cameraView.hidden = false;
    try {
      await video.play();
    } catch {
      // Autoplay refused: frames still arrive once the video plays.
    }
    decoder ??= await makeDecoder();
    watchFrames();
    setCameraStatus("camera-on");
    nextFrame(0);
  }

  function cameraStop() {
    cameraOn = false;
    storageSet(CAMERA_KEY, "off");
    clearTimeout(frameTimer);
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    video.srcObject = null;
    cameraView.hidden = true;
    setCameraStatus("camera-off");
    setToggle(false);
  }

  function nextFrame(delay) {
    clearTimeout(frameTimer);
    frameTimer = setTimeout(lookAtFrame, delay);
  }

  async function lookAtFrame() {
    if (!cameraOn || !stream) return;
    if (document.visibilityState !== "visible" || video.readyState < 2 || !video.videoWidth) {
      nextFrame(250);
      return;
    }
    const grabbedAt = performance.now();
    // The frame drawn now is the newest one to have arrived.
    const frameAt =
      framePresentedAt != null && framePresentedAt <= grabbedAt ? framePresentedAt : grabbedAt;
    // What the volunteer sees: the middle square of the picture.
    const width = video.videoWidth;
    const height = video.videoHeight;
    const side = Math.min(width, height);
    const size = Math.min(side, FRAME_SIDE);
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    context.drawImage(video, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
    let found = null;
    try {
      found = await decoder.decode();
    } catch {
      found = null;
    }
    const decodedAt = performance.now();
    record(timings.frames, {
      decodeMs: found?.ms ?? null, // the decoder's own time
      grabToDecodedMs: decodedAt - grabbedAt, // drawing, copying and decoding
      found: Boolean(found?.code),
    });
    if (found?.code) onCameraCode(found.code, { frameAt, grabbedAt, decodeMs: found.ms });
    nextFrame(Math.max(0, SCAN_EVERY_MS - (performance.now() - grabbedAt)));
  }

  function onCameraCode(code, frame) {
    // Not again while its verdict is up or for a moment after.
    if (!panel.hidden && panelCode === code) return;
    if ((recent.get(code) ?? 0) > performance.now()) return;
    if (queue.some((job) => job.code === code)) return;
    scan(code, "camera", { ...frame, createdAt: frame.grabbedAt });
  }

  cameraToggle.addEventListener("click", () => {
    if (cameraOn) cameraStop();
    else cameraStart();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && cameraOn && video.paused) {
      video.play().catch(() => {});
    }
  });

  if (storageGet(CAMERA_KEY) === "off") {
    setCameraStatus("camera-off");
    setToggle(false);
  } else {
    cameraStart();
  }
}
