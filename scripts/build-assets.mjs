// Build the site's CSS and copy GOV.UK Frontend's JS and images, the door
// check-in scripts and jsQR (the check-in page's QR decoder) into
// static/dist, which Django's staticfiles serves. Run with `npm run build`.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(root, "static", "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = sass.compile(join(root, "static", "src", "psdm.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions", "slash-div"],
});
writeFileSync(join(out, "psdm.css"), result.css);
cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
cpSync(join(govuk, "assets", "images"), join(out, "assets", "images"), { recursive: true });
for (const name of ["checkin.js", "checkin-decoder.js", "govuk-init.js"]) {
  cpSync(join(root, "static", "src", name), join(out, name));
}
cpSync(join(root, "node_modules", "jsqr", "dist", "jsQR.js"), join(out, "jsQR.js"));
console.log(`built ${join("static", "dist")}: psdm.css (${result.css.length} bytes)`);
