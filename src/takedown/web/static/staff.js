// Keyboard shortcuts for the review pages. No inline scripts: the pages' CSP allows none.
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row], figure[data-item]")); }
  function selected() { return document.querySelector("[data-row].selected, figure[data-item].selected"); }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var now = selected();
    var index = now ? all.indexOf(now) + step : 0;
    index = Math.max(0, Math.min(all.length - 1, index));
    if (now) now.classList.remove("selected");
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }
  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }
  function choose(value) {
    var form = document.getElementById("decision-form");
    if (!form) return;
    var radio = form.querySelector("input[name=outcome][value=" + value + "]");
    if (radio) radio.checked = true;
    var reason = form.querySelector("textarea[name=reason]");
    if (reason) reason.focus();
  }
  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (help) help.hidden = !help.hidden;
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-help-toggle]");
    if (toggle) toggleHelp();
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var page = document.body.getAttribute("data-page");
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": {
        var row = document.querySelector("[data-row].selected");
        if (row) window.location.href = row.getAttribute("data-href");
        else return;
        break;
      }
      case "c": submit(document.getElementById(page === "queue" ? "claim-next" : "claim-form")); break;
      case "r": {
        var scope = document.querySelector("figure[data-item].selected") || document;
        var button = scope.querySelector("button[data-reveal]");
        if (button) button.click();
        break;
      }
      case "v": choose("violating"); break;
      case "n": choose("not_violating"); break;
      case "g": window.location.href = "/staff"; break;
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });
})();
