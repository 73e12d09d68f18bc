// Start GOV.UK Frontend's components on pages that allow no inline scripts
// (the door's pages). A browser that runs modules supports GOV.UK Frontend.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
