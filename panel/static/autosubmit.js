// A filter form submits itself when one of its choices marked data-autosubmit changes (a
// file, not an inline handler, which the Content-Security-Policy would block).
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
}());
