// Tasks, logic context: answers the view's commands. The view may only ask for what is
// listed in COMMANDS; anything else is ignored (and answered with an error message).
var tasks = [], nextId = 1, loaded = false;

function publish(status) {
  return postToView({ type: "tasks", tasks: tasks, status: status || "" });
}

function persist(status) {
  return saveTasks(tasks).then(function () { return publish(status); }, function (err) {
    return publish("Not saved: " + err.code);
  });
}

var COMMANDS = {
  list: function () { return publish(""); },
  add: function (msg) {
    var text = cleanText(msg.text);
    if (text === null) return publish("A task needs some text.");
    if (tasks.length >= MAX_TASKS) return publish("The list is full.");
    tasks.push({ id: nextId++, text: text, done: false });
    return persist("Added.");
  },
  toggle: function (msg) {
    var task = tasks.find(function (t) { return t.id === msg.id; });
    if (!task) return publish("No such task.");
    task.done = !task.done;
    return persist("");
  },
  remove: function (msg) {
    tasks = tasks.filter(function (t) { return t.id !== msg.id; });
    return persist("Removed.");
  },
};

onViewMessage(function (msg) {
  if (!msg || typeof msg !== "object" || typeof msg.op !== "string") return;
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, msg.op)) {
    publish("Unknown command.");
    return;
  }
  if (!loaded) return;  // the list is published once loaded
  COMMANDS[msg.op](msg);
});

loadTasks().then(function (stored) {
  tasks = stored.filter(function (t) { return t && typeof t.id === "number" && cleanText(t.text); });
  nextId = tasks.reduce(function (max, t) { return Math.max(max, t.id); }, 0) + 1;
  loaded = true;
  publish("");
}, function (err) {
  loaded = true;
  publish("Could not load your tasks: " + err.code);
});
