// Live pages: ask the master for this page's main part every few seconds and swap it in,
// so a running boot's cells fill without a reload. Stops asking while the tab is hidden, and
// does not swap the page under a person typing in it (a quarantine's reason); says "live" after a swap.
(function () {
  var main = document.getElementById("live");
  var badge = document.getElementById("live-state");
  var every = 3000;
  function refresh() {
    if (document.hidden) { return setTimeout(refresh, every); }
    fetch(main.dataset.src, {cache: "no-store"}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.text();
    }).then(function (html) {
      var typing = document.activeElement && document.activeElement.tagName === "INPUT" && main.contains(document.activeElement);
      if (typing) { return; }
      main.innerHTML = html;
      main.dispatchEvent(new Event("live"));
      badge.className = "live";
      badge.textContent = "live " + new Date().toLocaleTimeString();
    }).catch(function () {
      badge.className = "live stale";
      badge.textContent = "master not answering";
    }).then(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
