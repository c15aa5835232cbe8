// Marks the page as JavaScript-enabled before NHS.UK components paint (kept out of inline
// script so that the Content-Security-Policy can forbid inline script).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
