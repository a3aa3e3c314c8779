// Tabs from anchored sections: <nav data-tabs> with links to #ids of [data-tab-panel] sections.
// Without JavaScript the links jump to the sections; with it, one section shows at a time, the
// URL hash keeps the open tab (reload, back, shared links), arrow keys move between tabs, and
// a hash that points inside a section (e.g. #entry-12) opens that section.
(function () {
  function init(nav) {
    if (nav.dataset.tabsReady) return;
    nav.dataset.tabsReady = "1";
    var links = Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]'));
    var panels = links.map(function (a) { return document.getElementById(a.hash.slice(1)); });
    if (panels.some(function (p) { return !p; })) return;
    nav.setAttribute("role", "tablist");
    links.forEach(function (a, i) {
      a.id = a.id || "tab-" + panels[i].id;
      a.setAttribute("role", "tab");
      a.setAttribute("aria-controls", panels[i].id);
      panels[i].setAttribute("role", "tabpanel");
      panels[i].setAttribute("aria-labelledby", a.id);
    });

    function indexFor(hash) {
      if (!hash || hash.length < 2) return -1;
      var target = document.getElementById(decodeURIComponent(hash.slice(1)));
      if (!target) return -1;
      for (var i = 0; i < panels.length; i++) {
        if (panels[i] === target || panels[i].contains(target)) return i;
      }
      return -1;
    }

    function show(i, focus) {
      links.forEach(function (a, j) {
        var selected = i === j;
        a.setAttribute("aria-selected", selected ? "true" : "false");
        a.tabIndex = selected ? 0 : -1;
        panels[j].hidden = !selected;
      });
      if (focus) links[i].focus();
    }

    links.forEach(function (a, i) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        show(i, false);
        history.replaceState(null, "", a.hash);
      });
      a.addEventListener("keydown", function (event) {
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: links.length - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        next = (next + links.length) % links.length;
        show(next, true);
        history.replaceState(null, "", links[next].hash);
      });
    });
    window.addEventListener("hashchange", function () {
      var i = indexFor(location.hash);
      if (i >= 0) show(i, false);
    });
    show(Math.max(0, indexFor(location.hash)), false);
  }

  function initAll() {
    document.querySelectorAll("nav[data-tabs]").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
