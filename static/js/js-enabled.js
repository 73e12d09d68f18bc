// Mark the page as having JavaScript before it is drawn (GOV.UK Frontend's
// styles depend on it). A file, not an inline script: the Content Security
// Policy allows only scripts from this site.
document.body.className +=
  " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
