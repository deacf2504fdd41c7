// The header's behaviour: the menu button that opens and closes the navigation on a phone,
// and the theme choice (light, dark, or the system's), remembered in localStorage.
(function () {
  "use strict";
  var root = document.documentElement;
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    // The button shows (panel.css) only from here on: drawn before, a tap on it did nothing.
    root.classList.add("nav-ready");
    var setOpen = function (open) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  var select = document.getElementById("theme");
  if (select) {
    select.value = root.dataset.theme || "system";
    select.addEventListener("change", function () {
      var theme = select.value;
      if (theme === "light" || theme === "dark") {
        root.dataset.theme = theme;
      } else {
        delete root.dataset.theme;
      }
      try {
        if (theme === "light" || theme === "dark") {
          window.localStorage.setItem("panel-theme", theme);
        } else {
          window.localStorage.removeItem("panel-theme");
        }
      } catch (e) { /* storage blocked: the choice lasts for this page only */ }
    });
  }
}());
