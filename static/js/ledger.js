// The ledger's one "reverse an entry" dialog: each row's "Reverse…" link opens it for that entry;
// the reason is sent with htmx and the refreshed ledger panel replaces the old one.
(function () {
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-reverse-url]");
    if (link) {
      var dialog = document.getElementById("reverse-dialog");
      if (!dialog || !dialog.showModal) return;  // no <dialog> support: follow the link
      event.preventDefault();
      var form = dialog.querySelector("form");
      form.action = link.dataset.reverseUrl;
      dialog.querySelector("[data-reverse-seq]").textContent = link.dataset.reverseSeq;
      dialog.querySelector("[data-reverse-summary]").textContent = link.dataset.reverseSummary;
      form.reset();
      if (dialog.open) dialog.close();
      dialog.showModal();
      form.querySelector("input[name=reason]").focus();
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close) {
      var open = close.closest("dialog");
      if (open && open.open) {
        event.preventDefault();
        open.close();
      }
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "reverse-form" || !window.htmx || !form.action) return;
    if (!form.reportValidity()) return;
    event.preventDefault();
    var dialog = form.closest("dialog");
    window.htmx
      .ajax("POST", form.action, { source: form, target: "#ledger-panel", swap: "outerHTML" })
      .then(function () { if (dialog && dialog.open) dialog.close(); });
  });
})();
