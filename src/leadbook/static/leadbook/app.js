// Leadbook's small amount of behaviour. Pages work without it; it adds keyboard shortcuts,
// dialogs, the collab fields toggle and self-dismissing toasts.
(function () {
  "use strict";

  function typingInField(event) {
    const el = event.target;
    return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
  }

  // "/" focuses the search box, "n" opens the new-lead form.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event)) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "n") {
      const link = document.querySelector("[data-shortcut-new]");
      if (link) { event.preventDefault(); link.click(); }
    }
  });

  // Sidebar menu on phones.
  document.addEventListener("click", function (event) {
    const toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      const sidebar = document.querySelector(".lb-sidebar");
      const open = sidebar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      const dialog = document.querySelector(opener.dataset.dialogOpen);
      if (dialog) { event.preventDefault(); dialog.showModal(); }
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) { closer.closest("dialog").close(); }
    const toastClose = event.target.closest("[data-toast-close]");
    if (toastClose) { toastClose.closest(".lb-toast").remove(); }
  });

  // Collab Type and Followers matter only for leads with a collab type.
  function syncCollabFields(root) {
    root.querySelectorAll("[data-collab-types]").forEach(function (form) {
      const ids = JSON.parse(form.dataset.collabTypes);
      const section = form.querySelector("[data-collab-fields]");
      if (!section) return;
      const checked = Array.from(form.querySelectorAll("input[name=lead_types]:checked"))
        .some(function (box) { return ids.includes(Number(box.value)); });
      const hasValues = Array.from(section.querySelectorAll("input"))
        .some(function (input) { return input.value; });
      section.hidden = !(checked || hasValues);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "lead_types") syncCollabFields(document);
  });

  // Toasts leave on their own after a while (errors stay until closed).
  function scheduleToasts(root) {
    root.querySelectorAll(".lb-toast:not(.error):not([data-scheduled])").forEach(function (t) {
      t.dataset.scheduled = "1";
      setTimeout(function () { t.remove(); }, 8000);
    });
  }

  function init(root) {
    syncCollabFields(root);
    scheduleToasts(document);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
