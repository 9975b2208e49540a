// Board actions on the boards page: buttons for the boards this browser's user may act on,
// posted to the master's own force endpoint (JSON-RPC `force` on the board-action scheduler)
// with the browser's session: the master checks the role, the operator/<board> build takes
// the board's lock. Who the user is comes from the master's session (`/config`); which boards
// they may act on from the master's authz (actions.json). Results stay on the row across refreshes.
(function () {
  var main = document.getElementById("live");
  var allowed = null;  // boards this session may act on, once known
  var results = {};    // board -> {text, href, refused}
  var reasons = {};    // board -> the reason being typed, kept across refreshes

  function table() { return main.querySelector("table.boards"); }

  function learn() {
    var t = table();
    if (!t) { return; }
    fetch(t.dataset.buildbot + "config", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (config) {
        var user = config.user || {};
        if (user.anonymous || !user.username) { return {user: "", boards: []}; }
        return fetch(t.dataset.allowed + "?user=" + encodeURIComponent(user.username), {cache: "no-store"})
          .then(function (r) { return r.json(); });
      })
      .then(function (answer) {
        allowed = answer.boards;
        document.body.dataset.actor = answer.user || "anonymous";
        draw();
      });
  }

  function draw() {
    var t = table();
    if (!t || allowed === null) { return; }
    var buttons = JSON.parse(t.dataset.buttons);
    t.querySelectorAll(".act").forEach(function (act) {
      var board = act.dataset.board;
      act.textContent = "";
      if (allowed.indexOf(board) < 0) { return; }
      buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.dataset.action = b[0];
        button.textContent = b[1];
        act.appendChild(button);
      });
      var reason = document.createElement("input");
      reason.className = "reason";
      reason.placeholder = "reason (quarantine needs one)";
      reason.value = reasons[board] || "";
      act.appendChild(reason);
      var shown = results[board];
      if (shown) {
        var line = document.createElement("div");
        line.className = "result" + (shown.refused ? " refused" : "");
        if (shown.href) {
          var link = document.createElement("a");
          link.href = shown.href;
          link.target = "_top";
          link.textContent = shown.label;
          line.appendChild(link);
          line.appendChild(document.createTextNode(" "));
        }
        line.appendChild(document.createTextNode(shown.text));
        act.appendChild(line);
      }
    });
  }

  function show(board, result) { results[board] = result; draw(); }

  function follow(board, builderid, brid, action) {
    var t = table();
    fetch(t.dataset.buildbot + "api/v2/buildrequests/" + brid + "/builds", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        var build = answer.builds[answer.builds.length - 1];
        if (build) {
          show(board, {label: "operator/" + board + " #" + build.number, text: build.state_string || action,
                       href: t.dataset.buildbot + "#/builders/" + builderid + "/builds/" + build.number});
        }
        if (!build || !build.complete) { setTimeout(function () { follow(board, builderid, brid, action); }, 1000); }
      });
  }

  function act(board, builderid, action) {
    var t = table();
    var reason = (reasons[board] || "").trim();
    if (action === "quarantine" && !reason) { return show(board, {text: "a quarantine needs a reason", refused: true}); }
    show(board, {text: action + ": asking the master"});
    var call = {jsonrpc: "2.0", method: "force", id: 1,
                params: {builderid: Number(builderid), action: action, reason: reason}};
    fetch(t.dataset.buildbot + "api/v2/forceschedulers/" + t.dataset.scheduler, {
      method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(call)})
      .then(function (r) { return r.json().then(function (answer) { return [r.status, answer]; }); })
      .then(function (reply) {
        var answer = reply[1];
        if (reply[0] !== 200 || answer.error) {
          return show(board, {text: action + " refused by the master: " + (answer.error ? answer.error.message : reply[0]), refused: true});
        }
        reasons[board] = "";
        var brid = Object.values(answer.result[1])[0];
        show(board, {text: action + ": requested"});
        follow(board, builderid, brid, action);
      })
      .catch(function (e) { show(board, {text: action + ": the master did not answer (" + e + ")", refused: true}); });
  }

  main.addEventListener("click", function (e) {
    var button = e.target.closest(".act button[data-action]");
    if (!button) { return; }
    var box = button.closest(".act");
    act(box.dataset.board, box.dataset.builderid, button.dataset.action);
  });
  main.addEventListener("input", function (e) {
    if (e.target.matches(".act input.reason")) { reasons[e.target.closest(".act").dataset.board] = e.target.value; }
  });
  main.addEventListener("live", draw);
  learn();
})();
