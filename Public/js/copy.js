/*
 * Gatehouse copy buttons (progressive enhancement; every page works without this file).
 *
 *   <code data-copy="client_id">…</code>
 *   <button type="button" class="btn btn-secondary btn-sm copy-btn" data-copy-target="client_id">Copy</button>
 *
 * A button copies the text of the matching <code data-copy="NAME"> nearest to it (so a list
 * with many client ids works), falling back to the first match on the page. Copy buttons stay
 * hidden by CSS until this script adds the class `js` to <html>.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  var RESET_AFTER_MS = 2000;

  function findSource(button) {
    var name = button.getAttribute("data-copy-target");
    if (!name) {
      return null;
    }
    var selector = 'code[data-copy="' + cssEscape(name) + '"]';
    // Walk up from the button: the closest container holding a match wins.
    for (var node = button.parentElement; node; node = node.parentElement) {
      var found = node.querySelector(selector);
      if (found) {
        return found;
      }
    }
    return null;
  }

  function cssEscape(value) {
    if (window.CSS && typeof window.CSS.escape === "function") {
      return window.CSS.escape(value);
    }
    return String(value).replace(/["\\]/g, "\\$&");
  }

  function copyWithSelection(source) {
    var selection = window.getSelection();
    if (!selection || typeof document.execCommand !== "function") {
      return false;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    selection.removeAllRanges();
    return ok;
  }

  function copyText(source) {
    var text = (source.textContent || "").trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyWithSelection(source); }
      );
    }
    return Promise.resolve(copyWithSelection(source));
  }

  function announce(button, copied) {
    if (!button.hasAttribute("data-copy-label")) {
      button.setAttribute("data-copy-label", button.textContent);
    }
    window.clearTimeout(button._copyTimer);
    button.classList.remove("is-copied", "is-failed");
    button.classList.add(copied ? "is-copied" : "is-failed");
    button.textContent = copied ? "Copied" : "Copy manually";
    say(copied ? "Copied to the clipboard." : "Could not copy. The text is selected; copy it by hand.");
    button._copyTimer = window.setTimeout(function () {
      button.textContent = button.getAttribute("data-copy-label");
      button.classList.remove("is-copied", "is-failed");
    }, RESET_AFTER_MS);
  }

  // One polite live region so screen readers hear the result.
  var status = null;
  function say(message) {
    if (!status) {
      status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      document.body.appendChild(status);
    }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function prepare(button) {
    if (!button.hasAttribute("type")) {
      button.setAttribute("type", "button");
    }
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      prepare(buttons[i]);
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("button[data-copy-target]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var source = findSource(button);
    if (!source) {
      return;
    }
    copyText(source).then(function (ok) {
      if (!ok) {
        // Leave the value selected so the person can copy it by hand.
        var selection = window.getSelection();
        if (selection) {
          var range = document.createRange();
          range.selectNodeContents(source);
          selection.removeAllRanges();
          selection.addRange(range);
        }
      }
      announce(button, ok);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
