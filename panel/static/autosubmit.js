// A filter form submits itself when one of its choices marked data-autosubmit changes (a
// file, not an inline handler, which the Content-Security-Policy would block). Loaded in the
// head and listening on the document: a choice made before the page was read to its end counts.
document.addEventListener("change", function (event) {
  "use strict";
  var select = event.target;
  if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
    select.form.submit();
  }
});
