// Irreversible actions ask first: a form marked data-confirm="question" opens the page's
// confirmation dialog (layout.html) instead of posting, and posts only when the person
// confirms. A file, not an inline handler, which the Content-Security-Policy would block;
// without it the form posts at once and the server remains the guard. Loaded in the head, not
// deferred: the page's forms exist only once this listens, so no click posts unasked.
(function () {
  "use strict";
  var pending = null;
  var watched = null;

  function decided() {
    var dialog = document.getElementById("confirm-dialog");
    var chosen = pending;
    pending = null;
    if (!chosen || dialog.returnValue !== "confirm") { return; }
    chosen.form.dataset.confirmed = "yes";
    // requestSubmit keeps the button that was pressed (its name and value are sent).
    if (chosen.submitter) { chosen.form.requestSubmit(chosen.submitter); } else { chosen.form.requestSubmit(); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    // A button of a form with several may ask its own question.
    var asking = submitter && submitter.dataset.confirm ? submitter : form;
    if (!asking.dataset || !asking.dataset.confirm) { return; }
    if (form.dataset.confirmed === "yes") { delete form.dataset.confirmed; return; }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      // The page's end (and its dialog) not read yet, or a browser without dialogs.
      if (!window.confirm(asking.dataset.confirm)) { event.preventDefault(); }
      return;
    }
    event.preventDefault();
    if (watched !== dialog) {
      dialog.addEventListener("close", decided);
      watched = dialog;
    }
    var go = document.getElementById("confirm-go");
    pending = { form: form, submitter: submitter };
    document.getElementById("confirm-question").textContent = asking.dataset.confirm;
    go.textContent = asking.dataset.confirmLabel || (submitter && submitter.textContent) || go.textContent;
    dialog.returnValue = "";
    dialog.showModal();
  }, true);
}());
