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

  // After the table changes (a chip removed, Clear all, back button), the search box shows
  // the view's search, unless the user is typing in it.
  function syncSearchBox() {
    const chips = document.getElementById("lead-chips");
    const search = document.querySelector("[data-shortcut-search]");
    if (chips && search && document.activeElement !== search) {
      search.value = chips.dataset.viewSearch || "";
    }
  }

  // A dialog delivered by htmx opens itself; closing it removes it.
  function openDialogs(root) {
    root.querySelectorAll("dialog[data-autoshow]:not([open])").forEach(function (dialog) {
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
      const first = dialog.querySelector("[autofocus], input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    });
  }

  // "Follow up: in 1 week" fills the date beside it.
  document.addEventListener("change", function (event) {
    const preset = event.target.closest("[data-follow-up-preset]");
    if (!preset || !preset.value) return;
    const date = preset.form.querySelector("input[name=follow_up_on]");
    const day = new Date();
    day.setDate(day.getDate() + Number(preset.value));
    const pad = function (n) { return String(n).padStart(2, "0"); };
    date.value = day.getFullYear() + "-" + pad(day.getMonth() + 1) + "-" + pad(day.getDate());
  });

  function init(root) {
    openDialogs(document);
    syncSearchBox();
    syncCollabFields(root);
    scheduleToasts(document);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
