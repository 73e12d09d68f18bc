// Decode QR codes with jsQR off the page's main thread, so buttons and the
// result stay quick while frames are searched. The page sends {jsqr: url}
// first, then {width, height, data} frames (RGBA bytes); each gets back
// {code, ms}: the text found (or null) and how long jsQR took.
self.onmessage = (event) => {
  const message = event.data;
  if (message.jsqr) {
    importScripts(message.jsqr);
    return;
  }
  const started = performance.now();
  const found = self.jsQR(
    new Uint8ClampedArray(message.data),
    message.width,
    message.height,
    { inversionAttempts: "dontInvert" },
  );
  self.postMessage({ code: found ? found.data : null, ms: performance.now() - started });
};
