// Tasks, the view: shows what the logic publishes and sends the user's commands. It has no
// callNative and no network: even if a task's text tricked it into running script, that
// script could only send the logic the same commands the buttons send.
(function () {
  "use strict";
  var list = document.getElementById("list");
  var status = document.getElementById("status");

  function render(tasks) {
    list.replaceChildren();
    tasks.forEach(function (task) {
      var li = document.createElement("li");
      li.className = task.done ? "done" : "";
      li.dataset.id = String(task.id);
      var text = document.createElement("span");
      text.textContent = task.text;  // text, never markup
      var toggle = document.createElement("button");
      toggle.textContent = task.done ? "Undo" : "Done";
      toggle.addEventListener("click", function () { postToLogic({ op: "toggle", id: task.id }); });
      var remove = document.createElement("button");
      remove.textContent = "Remove";
      remove.addEventListener("click", function () { postToLogic({ op: "remove", id: task.id }); });
      li.append(text, toggle, remove);
      list.append(li);
    });
  }

  onLogicMessage(function (msg) {
    if (!msg || msg.type !== "tasks" || !Array.isArray(msg.tasks)) return;
    render(msg.tasks);
    status.textContent = msg.status || (msg.tasks.length + " task" + (msg.tasks.length === 1 ? "" : "s"));
    document.body.dataset.ready = "1";
  });

  document.getElementById("add").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("text");
    postToLogic({ op: "add", text: input.value }).then(function () { input.value = ""; });
  });
})();
