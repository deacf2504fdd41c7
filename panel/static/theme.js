// Runs in <head> before the page is drawn, so it never shows in the wrong theme: applies the
// theme the person chose (light or dark; none follows the system) and marks that JavaScript
// runs, so the phone navigation stays folded away for the menu button, which nav.js shows once
// it answers taps.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var chosen = null;
  try { chosen = window.localStorage.getItem("panel-theme"); } catch (e) { /* storage blocked */ }
  if (chosen === "light" || chosen === "dark") { root.dataset.theme = chosen; }
}());
