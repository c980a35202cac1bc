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

  // The "More filters" panel stays open while its selects update the table, and closes on
  // a click elsewhere.
  let moreFiltersOpen = false;
  document.addEventListener("htmx:beforeRequest", function () {
    const more = document.getElementById("lead-more-filters");
    moreFiltersOpen = Boolean(more && more.open);
  });
  document.addEventListener("htmx:afterSettle", function () {
    const more = document.getElementById("lead-more-filters");
    if (more && moreFiltersOpen) more.open = true;
  });
  document.addEventListener("click", function (event) {
    const more = document.getElementById("lead-more-filters");
    if (more && more.open && !more.contains(event.target)) more.open = false;
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

// ---- Web capture (capture app) ----------------------------------------------------------
// Copy buttons: [data-copy-target="#id"] copies that element's text (the embed code) and
// says so in the [data-copy-status] beside it. "Back to the form" links [data-history-back]
// go back in history, where the visitor's typing is kept; without script they follow href.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http: the old way, through a selected, off-screen textarea.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-target]");
    if (button) {
      const source = document.querySelector(button.dataset.copyTarget);
      const status = button.parentElement.querySelector("[data-copy-status]");
      if (!source) return;
      copyText(source.textContent).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        if (status) status.textContent = "Select the code and copy it with Ctrl+C (⌘C).";
      });
      return;
    }
    const back = event.target.closest("[data-history-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();

// ---- Pipeline board (dashboard app) -------------------------------------------------------
// Drag a card onto another column to move the lead there (HTML5 drag and drop). The card
// moves at once; the server answers with the card as the lead now is, which replaces it and
// is put in the column of its actual status, so a refused move (a stale card) goes back
// where it belongs. Keyboard and no-script users have the card menu's "Move to…" buttons,
// a plain POST form that htmx sends the same way.
(function () {
  "use strict";
  let dragged = null;

  function columnOf(element) {
    return element && element.closest ? element.closest("[data-board-column]") : null;
  }
  function cardsIn(column) { return column.querySelector(".lb-board-cards"); }
  function clearDropTargets() {
    document.querySelectorAll(".lb-board-column.is-over").forEach(function (column) {
      column.classList.remove("is-over");
    });
  }

  // A card at the top of its status's column; off the board when that column isn't shown.
  function place(card) {
    const column = document.querySelector('[data-board-column="' + card.dataset.status + '"]');
    if (!column) { card.remove(); return; }
    const cards = cardsIn(column);
    if (card.parentElement !== cards) cards.prepend(card);
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest(".lb-card[data-move-url]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("is-dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearDropTargets();
  });
  document.addEventListener("dragover", function (event) {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();  // allows the drop
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("is-over")) {
      clearDropTargets();
      column.classList.add("is-over");
    }
  });
  document.addEventListener("drop", function (event) {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    clearDropTargets();
    const card = dragged;
    const status = column.dataset.boardColumn;
    if (status === card.dataset.status) return;
    cardsIn(column).prepend(card);
    card.classList.add("is-saving");
    const board = card.closest("[data-board]");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: card, swap: "outerHTML",
      values: {
        status: status, version: card.dataset.version, shown_status: card.dataset.status,
        view: board ? board.dataset.view : "",
      },
    });
  });

  document.addEventListener("htmx:afterSettle", function () {
    // A moved card goes to its column; after a keyboard move the focus stays with it.
    document.querySelectorAll(".lb-card[data-just-moved]").forEach(function (card) {
      card.removeAttribute("data-just-moved");
      place(card);
      const focusLost = !document.activeElement || document.activeElement === document.body;
      if (focusLost) (card.querySelector(".lb-card-menu summary") || card).focus();
    });
    // A card moved into a column before its next page loaded would be there twice.
    const seen = new Set();
    document.querySelectorAll(".lb-board .lb-card").forEach(function (card) {
      if (seen.has(card.id)) card.remove(); else seen.add(card.id);
    });
  });

  // Card menus close with Escape or a click elsewhere, like the other menus.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const menu = event.target.closest && event.target.closest(".lb-card-menu[open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".lb-card-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();
