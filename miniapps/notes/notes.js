/*
 * Notes — a small plain-text notes app for superapp.
 *
 * Where notes live:
 *   - superapp storage (callNative 'storage.*'), one key per note: "note:<id>" -> note object.
 *   - If callNative is missing, or answers UNKNOWN_API / PERMISSION_DENIED, the app falls back to
 *     this window's localStorage ("notes.note:<id>") and says so in the status line. Notes that had
 *     to be kept in localStorage move into superapp storage the next time it is available.
 *   - Every edit is also written as a draft to IndexedDB (database "notes", store "drafts",
 *     keyPath "id"), so an edit that never reached storage is recovered when the page reloads.
 *     The host keeps engine storage (IndexedDB, localStorage) in memory only, so drafts and
 *     "notes.lastOpened" last as long as the app's process; notes themselves live in storage.*.
 *   - localStorage "notes.lastOpened" holds the ISO time the app was last opened.
 *
 * No inline script, no eval, no string timers, no network: the page runs under a strict CSP.
 */
(function () {
  'use strict';

  var NOTE_PREFIX = 'note:';
  var LOCAL_PREFIX = 'notes.note:';
  var LAST_OPENED_KEY = 'notes.lastOpened';
  var DRAFT_DB = 'notes';
  var DRAFT_STORE = 'drafts';
  var SAVE_DELAY_MS = 400;
  var TOAST_MS = 6000;
  var FALLBACK_CODES = ['UNKNOWN_API', 'PERMISSION_DENIED'];

  // ---------------------------------------------------------------- helpers

  function $(id) {
    return document.getElementById(id);
  }

  function errorCode(err) {
    return err && typeof err.code === 'string' ? err.code : '';
  }

  function errorText(err) {
    if (err && typeof err.message === 'string' && err.message) {
      return err.message;
    }
    return 'unexpected error';
  }

  function shouldFallBack(err) {
    return FALLBACK_CODES.indexOf(errorCode(err)) !== -1;
  }

  function newId() {
    var bytes = new Uint8Array(9);
    window.crypto.getRandomValues(bytes);
    var out = Date.now().toString(36) + '-';
    for (var i = 0; i < bytes.length; i += 1) {
      out += (bytes[i] % 36).toString(36);
    }
    return out;
  }

  function isNote(value) {
    return (
      value !== null &&
      typeof value === 'object' &&
      typeof value.id === 'string' &&
      typeof value.title === 'string' &&
      typeof value.body === 'string' &&
      typeof value.created === 'number' &&
      typeof value.updated === 'number'
    );
  }

  function copyNote(note) {
    return {
      id: note.id,
      title: note.title,
      body: note.body,
      created: note.created,
      updated: note.updated
    };
  }

  var relative = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
    : null;

  function whenText(ms) {
    var diff = Date.now() - ms;
    if (diff < 45 * 1000) {
      return 'just now';
    }
    if (relative && diff < 60 * 60 * 1000) {
      return relative.format(-Math.round(diff / 60000), 'minute');
    }
    if (relative && diff < 24 * 60 * 60 * 1000) {
      return relative.format(-Math.round(diff / 3600000), 'hour');
    }
    return new Date(ms).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
  }

  function wordCount(text) {
    var words = text.trim().split(/\s+/);
    return words[0] === '' ? 0 : words.length;
  }

  function firstLine(text) {
    var trimmed = text.trim();
    var nl = trimmed.indexOf('\n');
    return nl === -1 ? trimmed : trimmed.slice(0, nl);
  }

  // --------------------------------------------------------------- backends

  var nativeBackend = {
    kind: 'native',
    ids: function () {
      return window.callNative('storage.keys', {}).then(function (keys) {
        var list = Array.isArray(keys) ? keys : keys && Array.isArray(keys.keys) ? keys.keys : [];
        return list
          .filter(function (k) { return typeof k === 'string' && k.indexOf(NOTE_PREFIX) === 0; })
          .map(function (k) { return k.slice(NOTE_PREFIX.length); });
      });
    },
    get: function (id) {
      return window.callNative('storage.get', { key: NOTE_PREFIX + id });
    },
    set: function (note) {
      return window.callNative('storage.set', { key: NOTE_PREFIX + note.id, value: copyNote(note) });
    },
    remove: function (id) {
      return window.callNative('storage.remove', { key: NOTE_PREFIX + id });
    }
  };

  var localBackend = {
    kind: 'local',
    ids: function () {
      return new Promise(function (resolve) {
        var out = [];
        for (var i = 0; i < window.localStorage.length; i += 1) {
          var k = window.localStorage.key(i);
          if (k && k.indexOf(LOCAL_PREFIX) === 0) {
            out.push(k.slice(LOCAL_PREFIX.length));
          }
        }
        resolve(out);
      });
    },
    get: function (id) {
      return new Promise(function (resolve) {
        var raw = window.localStorage.getItem(LOCAL_PREFIX + id);
        if (raw === null) {
          resolve(null);
          return;
        }
        try {
          resolve(JSON.parse(raw));
        } catch (err) {
          resolve(null);
        }
      });
    },
    set: function (note) {
      return new Promise(function (resolve) {
        window.localStorage.setItem(LOCAL_PREFIX + note.id, JSON.stringify(copyNote(note)));
        resolve(null);
      });
    },
    remove: function (id) {
      return new Promise(function (resolve) {
        window.localStorage.removeItem(LOCAL_PREFIX + id);
        resolve(null);
      });
    }
  };

  function loadAll(backend) {
    return backend.ids().then(function (ids) {
      return Promise.all(ids.map(function (id) { return backend.get(id); }));
    }).then(function (values) {
      return values.filter(isNote);
    });
  }

  // ----------------------------------------------------------------- drafts

  var drafts = {
    db: null,
    open: function () {
      return new Promise(function (resolve) {
        if (!window.indexedDB) {
          resolve(null);
          return;
        }
        var req;
        try {
          req = window.indexedDB.open(DRAFT_DB, 1);
        } catch (err) {
          resolve(null);
          return;
        }
        req.onupgradeneeded = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains(DRAFT_STORE)) {
            db.createObjectStore(DRAFT_STORE, { keyPath: 'id' });
          }
        };
        req.onsuccess = function () {
          drafts.db = req.result;
          resolve(drafts.db);
        };
        req.onerror = function () {
          resolve(null);
        };
        req.onblocked = function () {
          resolve(null);
        };
      });
    },
    request: function (mode, run) {
      return new Promise(function (resolve) {
        if (!drafts.db) {
          resolve(null);
          return;
        }
        try {
          var tx = drafts.db.transaction(DRAFT_STORE, mode);
          var req = run(tx.objectStore(DRAFT_STORE));
          tx.oncomplete = function () { resolve(req.result === undefined ? null : req.result); };
          tx.onerror = function () { resolve(null); };
          tx.onabort = function () { resolve(null); };
        } catch (err) {
          resolve(null);
        }
      });
    },
    all: function () {
      return drafts.request('readonly', function (store) { return store.getAll(); })
        .then(function (rows) { return Array.isArray(rows) ? rows.filter(isNote) : []; });
    },
    put: function (note) {
      return drafts.request('readwrite', function (store) { return store.put(copyNote(note)); });
    },
    remove: function (id) {
      return drafts.request('readwrite', function (store) { return store.delete(id); });
    }
  };

  // ------------------------------------------------------------------ state

  var state = {
    backend: null,
    notes: new Map(),
    currentId: null,
    filter: '',
    dirty: new Set(),
    saveError: null,
    saving: false,
    saveTimer: 0,
    chain: Promise.resolve(),
    toastTimer: 0,
    undo: null
  };

  var el = {};

  // ------------------------------------------------------------ status line

  function setStatus(kind, text, detail) {
    var status = el.status;
    status.dataset.backend = kind;
    status.textContent = text;
    status.title = detail || '';
  }

  function describeBackend(reason) {
    if (state.backend === nativeBackend) {
      setStatus('native', 'Notes are saved in superapp storage on this device.', '');
    } else {
      setStatus(
        'local',
        'Notes are kept in this window\u2019s local storage.',
        'superapp storage is not available: ' + reason
      );
    }
  }

  function showLoadError(err) {
    setStatus('error', 'Couldn\u2019t open your notes (' + (errorCode(err) || 'error') + '). ', errorText(err));
    var retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'btn btn-link';
    retry.textContent = 'Retry';
    retry.dataset.testid = 'storage-retry';
    retry.addEventListener('click', function () {
      setStatus('pending', 'Opening your notes\u2026', '');
      start();
    });
    el.status.appendChild(retry);
  }

  // ------------------------------------------------------------- save state

  function renderSaveState() {
    var s = el.saveState;
    // Only a failure is announced; "Saving…/Saved" on every pause would be noise.
    s.setAttribute('aria-live', state.saveError ? 'assertive' : 'off');
    if (state.saveError) {
      s.dataset.state = 'error';
      s.textContent = 'Not saved \u2014 ' + state.saveError;
    } else if (state.saving) {
      s.dataset.state = 'saving';
      s.textContent = 'Saving\u2026';
    } else if (state.dirty.size > 0) {
      s.dataset.state = 'dirty';
      s.textContent = 'Edited';
    } else {
      s.dataset.state = 'saved';
      s.textContent = 'Saved';
    }
  }

  function scheduleSave(delay) {
    window.clearTimeout(state.saveTimer);
    state.saveTimer = window.setTimeout(flush, delay);
  }

  /* Saves every dirty note, one write at a time (writes never overtake each other). */
  function flush() {
    window.clearTimeout(state.saveTimer);
    state.chain = state.chain.then(saveDirty, saveDirty);
    return state.chain;
  }

  function saveDirty() {
    var ids = Array.from(state.dirty);
    if (ids.length === 0 || !state.backend) {
      return Promise.resolve();
    }
    state.saving = true;
    renderSaveState();
    return ids.reduce(function (prev, id) {
      return prev.then(function () { return saveOne(id); });
    }, Promise.resolve()).then(function () {
      state.saving = false;
      state.saveError = null;
      renderSaveState();
    }, function (err) {
      state.saving = false;
      state.saveError = (errorCode(err) ? errorCode(err) + ': ' : '') + errorText(err);
      renderSaveState();
    });
  }

  function saveOne(id) {
    var note = state.notes.get(id);
    if (!note) {
      state.dirty.delete(id);
      return Promise.resolve();
    }
    var snapshot = copyNote(note);
    return state.backend.set(snapshot).then(function () {
      // Only clean if nothing was typed while the write was in flight.
      if (note.updated === snapshot.updated) {
        state.dirty.delete(id);
      }
    }, function (err) {
      if (state.backend === nativeBackend && shouldFallBack(err)) {
        return switchToLocal(errorCode(err)).then(function () { return saveOne(id); });
      }
      throw err;
    });
  }

  /* superapp storage went away mid-session (e.g. the grant was revoked): keep every note. */
  function switchToLocal(reason) {
    state.backend = localBackend;
    describeBackend(reason);
    var all = Array.from(state.notes.values());
    return all.reduce(function (prev, note) {
      return prev.then(function () { return localBackend.set(note); });
    }, Promise.resolve());
  }

  // ------------------------------------------------------------------ list

  function sortedNotes() {
    return Array.from(state.notes.values()).sort(function (a, b) {
      return b.updated - a.updated;
    });
  }

  function matches(note, q) {
    if (!q) {
      return true;
    }
    return (note.title + '\n' + note.body).toLowerCase().indexOf(q) !== -1;
  }

  function renderList() {
    var q = state.filter.trim().toLowerCase();
    var all = sortedNotes();
    var shown = all.filter(function (n) { return matches(n, q); });
    var list = el.list;
    var hadFocus = list.contains(document.activeElement)
      ? document.activeElement.dataset.noteId
      : null;

    list.textContent = '';
    shown.forEach(function (note) {
      var li = document.createElement('li');
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'note-item';
      btn.dataset.testid = 'note-item';
      btn.dataset.noteId = note.id;
      if (note.id === state.currentId) {
        btn.setAttribute('aria-current', 'true');
      }

      var title = document.createElement('span');
      title.className = 'note-item-title' + (note.title.trim() ? '' : ' untitled');
      title.dataset.testid = 'note-item-title';
      title.textContent = note.title.trim() || 'Untitled note';

      var meta = document.createElement('span');
      meta.className = 'note-item-meta';
      var date = document.createElement('span');
      date.className = 'note-item-date';
      date.textContent = whenText(note.updated);
      var snippet = document.createElement('span');
      snippet.className = 'note-item-snippet';
      snippet.textContent = firstLine(note.body) || 'No additional text';
      meta.appendChild(date);
      meta.appendChild(snippet);

      btn.appendChild(title);
      btn.appendChild(meta);
      li.appendChild(btn);
      list.appendChild(li);
    });

    if (shown.length === 0) {
      var empty = document.createElement('li');
      empty.className = 'list-empty';
      empty.textContent = all.length === 0 ? 'No notes yet.' : 'No notes match \u201c' + state.filter.trim() + '\u201d.';
      list.appendChild(empty);
    }

    var countText = q
      ? shown.length + ' of ' + all.length + ' notes'
      : all.length === 1 ? '1 note' : all.length + ' notes';
    if (el.count.textContent !== countText) {
      el.count.textContent = countText; // a live region: only touch it when it changes
    }

    if (hadFocus) {
      var again = list.querySelector('[data-note-id="' + CSS.escape(hadFocus) + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  // ---------------------------------------------------------------- editor

  function renderEditor() {
    var note = state.currentId ? state.notes.get(state.currentId) : null;
    el.form.hidden = !note;
    el.empty.hidden = !!note;
    if (!note) {
      return;
    }
    if (el.title.value !== note.title) {
      el.title.value = note.title;
    }
    if (el.body.value !== note.body) {
      el.body.value = note.body;
    }
    renderMeta(note);
  }

  function renderMeta(note) {
    var words = wordCount(note.body);
    el.meta.textContent = 'Edited ' + whenText(note.updated) + ' \u00b7 ' + words + (words === 1 ? ' word' : ' words');
  }

  function select(id, focusTarget) {
    if (state.currentId && state.dirty.size > 0) {
      flush();
    }
    state.currentId = id;
    renderList();
    renderEditor();
    if (focusTarget === 'title') {
      el.title.focus();
    } else if (focusTarget === 'body') {
      el.body.focus();
    }
  }

  function onEdit() {
    var note = state.notes.get(state.currentId);
    if (!note) {
      return;
    }
    note.title = el.title.value;
    note.body = el.body.value;
    note.updated = Date.now();
    state.dirty.add(note.id);
    state.saveError = null;
    drafts.put(note);
    renderSaveState();
    renderMeta(note);
    renderList();
    scheduleSave(SAVE_DELAY_MS);
  }

  function createNote() {
    if (!state.backend) {
      return;
    }
    var now = Date.now();
    var note = { id: newId(), title: '', body: '', created: now, updated: now };
    state.notes.set(note.id, note);
    state.dirty.add(note.id);
    if (state.filter) {
      state.filter = '';
      el.search.value = '';
    }
    drafts.put(note);
    select(note.id, 'title');
    renderSaveState();
    scheduleSave(0);
  }

  function deleteNote(id) {
    var note = state.notes.get(id);
    if (!note || !state.backend) {
      return;
    }
    var order = sortedNotes().filter(function (n) { return matches(n, state.filter.trim().toLowerCase()); });
    var idx = order.findIndex(function (n) { return n.id === id; });
    var next = order[idx + 1] || order[idx - 1] || null;

    state.notes.delete(id);
    state.dirty.delete(id);
    drafts.remove(id);
    state.chain = state.chain.then(function () {
      return state.backend.remove(id).catch(function (err) {
        if (state.backend === nativeBackend && shouldFallBack(err)) {
          return switchToLocal(errorCode(err)).then(function () { return localBackend.remove(id); });
        }
        state.saveError = 'couldn\u2019t delete: ' + errorText(err);
        renderSaveState();
        return null;
      });
    });

    if (state.currentId === id) {
      state.currentId = next ? next.id : null;
    }
    renderList();
    renderEditor();
    renderSaveState();
    var focusNext = state.currentId && el.list.querySelector('[data-note-id="' + CSS.escape(state.currentId) + '"]');
    if (focusNext) {
      focusNext.focus();
    } else {
      el.newNote.focus();
    }

    state.undo = note;
    showToast('Deleted \u201c' + (note.title.trim() || 'Untitled note') + '\u201d', true);
  }

  function undoDelete() {
    var note = state.undo;
    state.undo = null;
    hideToast();
    if (!note) {
      return;
    }
    state.notes.set(note.id, note);
    state.dirty.add(note.id);
    drafts.put(note);
    select(note.id, 'body');
    renderSaveState();
    scheduleSave(0);
  }

  function showToast(text, withUndo) {
    window.clearTimeout(state.toastTimer);
    $('toast-text').textContent = text;
    el.toastAction.hidden = !withUndo;
    el.toast.hidden = false;
    state.toastTimer = window.setTimeout(function () {
      state.undo = null;
      hideToast();
    }, TOAST_MS);
  }

  function hideToast() {
    window.clearTimeout(state.toastTimer);
    el.toast.hidden = true;
  }

  // -------------------------------------------------------------- keyboard

  function listButtons() {
    return Array.prototype.slice.call(el.list.querySelectorAll('.note-item'));
  }

  function onListKey(event) {
    var target = event.target;
    if (!target.classList || !target.classList.contains('note-item')) {
      return;
    }
    var items = listButtons();
    var i = items.indexOf(target);
    var to = null;
    if (event.key === 'ArrowDown') {
      to = items[Math.min(i + 1, items.length - 1)];
    } else if (event.key === 'ArrowUp') {
      to = items[Math.max(i - 1, 0)];
    } else if (event.key === 'Home') {
      to = items[0];
    } else if (event.key === 'End') {
      to = items[items.length - 1];
    } else if (event.key === 'Delete') {
      event.preventDefault();
      deleteNote(target.dataset.noteId);
      return;
    } else {
      return;
    }
    event.preventDefault();
    if (to) {
      select(to.dataset.noteId);
      var again = el.list.querySelector('[data-note-id="' + CSS.escape(to.dataset.noteId) + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  function onGlobalKey(event) {
    var mod = event.ctrlKey || event.metaKey;
    var key = event.key.toLowerCase();
    if (event.altKey && !mod && (key === 'n' || event.code === 'KeyN')) {
      event.preventDefault();
      createNote();
    } else if (mod && !event.altKey && key === 's') {
      event.preventDefault();
      flush();
    } else if (mod && !event.altKey && key === 'f') {
      event.preventDefault();
      el.search.focus();
      el.search.select();
    } else if (key === 'escape' && !el.toast.hidden) {
      hideToast();
    }
  }

  // ----------------------------------------------------------------- about

  function versionOf(info) {
    if (!info || typeof info !== 'object') {
      return '';
    }
    if (typeof info.version_name === 'string') {
      return info.version_name;
    }
    if (typeof info.version === 'string') {
      return info.version;
    }
    if (info.version && typeof info.version.name === 'string') {
      return info.version.name;
    }
    return '';
  }

  function renderAbout(previousOpen) {
    var parts = ['Notes'];
    var last = previousOpen ? Date.parse(previousOpen) : NaN;
    function paint(version) {
      var line = version ? parts[0] + ' ' + version : parts[0];
      if (!isNaN(last)) {
        line += ' \u00b7 last opened ' + whenText(last);
      }
      el.about.textContent = line;
    }
    paint('');
    if (typeof window.callNative === 'function') {
      window.callNative('app.info', {}).then(function (info) {
        paint(versionOf(info));
      }, function () { /* an about line is not worth an error */ });
    }
  }

  function stampLastOpened() {
    var previous = null;
    try {
      previous = window.localStorage.getItem(LAST_OPENED_KEY);
      window.localStorage.setItem(LAST_OPENED_KEY, new Date().toISOString());
    } catch (err) {
      previous = null;
    }
    return previous;
  }

  // ----------------------------------------------------------------- start

  function chooseBackend() {
    if (typeof window.callNative !== 'function') {
      return Promise.resolve({ backend: localBackend, reason: 'not running inside superapp' });
    }
    return loadAll(nativeBackend).then(function (notes) {
      return { backend: nativeBackend, notes: notes };
    }, function (err) {
      if (shouldFallBack(err)) {
        return { backend: localBackend, reason: errorCode(err) };
      }
      throw err;
    });
  }

  /* Notes kept in localStorage during an earlier fallback move into superapp storage. */
  function migrateLocal(nativeNotes) {
    var byId = new Map(nativeNotes.map(function (n) { return [n.id, n]; }));
    return loadAll(localBackend).then(function (localNotes) {
      return localNotes.reduce(function (prev, note) {
        return prev.then(function () {
          var existing = byId.get(note.id);
          var write = existing && existing.updated >= note.updated
            ? Promise.resolve()
            : nativeBackend.set(note).then(function () { byId.set(note.id, note); });
          return write.then(function () { return localBackend.remove(note.id); });
        });
      }, Promise.resolve());
    }).then(function () {
      return Array.from(byId.values());
    }, function () {
      // Leave local copies where they are; they are tried again on the next start.
      return Array.from(byId.values());
    });
  }

  function start() {
    chooseBackend().then(function (choice) {
      state.backend = choice.backend;
      if (choice.backend === nativeBackend) {
        return migrateLocal(choice.notes);
      }
      return loadAll(localBackend).then(function (notes) {
        describeBackend(choice.reason);
        return notes;
      });
    }).then(function (notes) {
      if (state.backend === nativeBackend) {
        describeBackend('');
      }
      notes.forEach(function (n) { state.notes.set(n.id, n); });
      return drafts.all();
    }).then(function (rows) {
      // A draft newer than what storage holds is an edit that never got saved: recover it.
      rows.forEach(function (draft) {
        var saved = state.notes.get(draft.id);
        if (!saved || draft.updated > saved.updated) {
          state.notes.set(draft.id, draft);
          state.dirty.add(draft.id);
        }
      });
      var first = sortedNotes()[0];
      state.currentId = first ? first.id : null;
      renderList();
      renderEditor();
      renderSaveState();
      if (state.dirty.size > 0) {
        scheduleSave(0);
      }
      document.body.dataset.ready = 'true';
    }).catch(function (err) {
      state.backend = null;
      showLoadError(err);
      document.body.dataset.ready = 'error';
    });
  }

  function init() {
    el.list = $('note-list');
    el.count = $('list-count');
    el.search = $('search');
    el.newNote = $('new-note');
    el.status = $('storage-status');
    el.about = $('about');
    el.form = $('note-form');
    el.empty = $('empty-state');
    el.title = $('note-title');
    el.body = $('note-body');
    el.meta = $('note-meta');
    el.saveState = $('save-state');
    el.deleteBtn = $('delete-note');
    el.toast = $('toast');
    el.toastAction = $('toast-action');

    el.newNote.addEventListener('click', createNote);
    el.list.addEventListener('click', function (event) {
      var btn = event.target.closest('.note-item');
      if (btn) {
        select(btn.dataset.noteId);
      }
    });
    el.list.addEventListener('keydown', onListKey);
    el.search.addEventListener('input', function () {
      state.filter = el.search.value;
      renderList();
    });
    el.search.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && el.search.value) {
        event.preventDefault();
        el.search.value = '';
        state.filter = '';
        renderList();
      } else if (event.key === 'ArrowDown') {
        var firstItem = listButtons()[0];
        if (firstItem) {
          event.preventDefault();
          firstItem.focus();
        }
      }
    });
    el.title.addEventListener('input', onEdit);
    el.body.addEventListener('input', onEdit);
    el.title.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        el.body.focus();
      }
    });
    el.form.addEventListener('submit', function (event) {
      event.preventDefault();
      flush();
    });
    el.deleteBtn.addEventListener('click', function () {
      if (state.currentId) {
        deleteNote(state.currentId);
      }
    });
    el.toastAction.addEventListener('click', undoDelete);
    document.addEventListener('keydown', onGlobalKey);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') {
        flush();
      }
    });
    window.addEventListener('pagehide', function () { flush(); });

    var previousOpen = stampLastOpened();
    renderAbout(previousOpen);
    drafts.open().then(start);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
