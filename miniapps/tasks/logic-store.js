// Tasks, logic context: the list and its storage. Runs in a worker with no DOM; the only
// script that holds callNative. Everything here trusts nothing the view sends.
var MAX_TASKS = 200, MAX_TEXT = 200, KEY = "tasks";

function cleanText(value) {
  if (typeof value !== "string") return null;
  var text = value.trim().slice(0, MAX_TEXT);
  return text.length ? text : null;
}

function loadTasks() {
  return callNative("storage.get", { key: KEY }).then(function (value) {
    return Array.isArray(value) ? value : [];
  });
}

function saveTasks(tasks) {
  return callNative("storage.set", { key: KEY, value: tasks });
}
