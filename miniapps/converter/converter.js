/*
 * Unit Converter for superapp. Needs no capabilities: it only remembers its last category,
 * units and value in this app's own localStorage ("converter.*").
 *
 * Either value field can be edited; the other follows. Values in the fields are plain numbers
 * (dot decimal, no grouping) so they can be copied and typed back; the "every unit" list uses
 * the reader's locale.
 */
(function () {
  'use strict';

  var KEY_CATEGORY = 'converter.lastCategory';
  var KEY_UNITS = 'converter.units';
  var KEY_VALUE = 'converter.lastValue';
  var SIGNIFICANT = 10;

  var categories = window.ConverterUnits || [];
  var el = {};
  var state = {
    category: null,
    from: null,
    to: null,
    edited: 'from',
    units: {}
  };

  // ------------------------------------------------------------- storage

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (err) {
      return null;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (err) {
      /* private mode or quota: remembering is a convenience, never an error */
    }
  }

  function loadUnits() {
    var raw = load(KEY_UNITS);
    if (!raw) {
      return {};
    }
    try {
      var parsed = JSON.parse(raw);
      return parsed && typeof parsed === 'object' ? parsed : {};
    } catch (err) {
      return {};
    }
  }

  // -------------------------------------------------------------- numbers

  /* Accepts "1.5", "1,5", "1,500.25", "-40", "2e3", " 12 000 ". Returns {value} | {empty} | {error}. */
  function parseNumber(text) {
    var t = String(text).trim().replace(/[\s_\u00a0\u202f]/g, '').replace(/\u2212/g, '-');
    if (t === '') {
      return { empty: true };
    }
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) {
      t = t.replace(/,/g, '');
    } else if (t.indexOf(',') !== -1 && t.indexOf('.') === -1 && t.split(',').length === 2) {
      t = t.replace(',', '.');
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
      return { error: true };
    }
    var value = Number(t);
    return isFinite(value) ? { value: value } : { error: true };
  }

  function formatPlain(x) {
    if (!isFinite(x)) {
      return '';
    }
    if (x === 0) {
      return '0';
    }
    var abs = Math.abs(x);
    if (abs >= 1e15 || abs < 1e-9) {
      return x.toExponential(SIGNIFICANT - 1).replace(/\.?0+e/, 'e');
    }
    return String(Number(x.toPrecision(SIGNIFICANT)));
  }

  var grouped = typeof Intl !== 'undefined'
    ? new Intl.NumberFormat(undefined, { maximumSignificantDigits: SIGNIFICANT })
    : null;

  function formatNice(x) {
    var abs = Math.abs(x);
    if (!grouped || (x !== 0 && (abs >= 1e15 || abs < 1e-6))) {
      return formatPlain(x);
    }
    return grouped.format(x);
  }

  // ------------------------------------------------------------ converting

  function category() {
    return categories.find(function (c) { return c.id === state.category; }) || categories[0];
  }

  function unit(id) {
    return category().units.find(function (u) { return u.id === id; });
  }

  function toBase(u, v) {
    return u.toBase ? u.toBase(v) : v * u.factor;
  }

  function fromBase(u, b) {
    return u.fromBase ? u.fromBase(b) : b / u.factor;
  }

  function convert(value, fromUnit, toUnit) {
    if (fromUnit.id === toUnit.id) {
      return value;
    }
    return fromBase(toUnit, toBase(fromUnit, value));
  }

  function belowAbsoluteZero(value, u) {
    return state.category === 'temperature' && toBase(u, value) < -1e-9;
  }

  // -------------------------------------------------------------- rendering

  function setError(which, message) {
    var input = which === 'from' ? el.fromValue : el.toValue;
    var out = which === 'from' ? el.fromError : el.toError;
    if (message) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
    if (out.textContent !== message) {
      out.textContent = message;
    }
  }

  function update() {
    var srcInput = state.edited === 'from' ? el.fromValue : el.toValue;
    var dstInput = state.edited === 'from' ? el.toValue : el.fromValue;
    var srcUnit = unit(state.edited === 'from' ? state.from : state.to);
    var dstUnit = unit(state.edited === 'from' ? state.to : state.from);
    var other = state.edited === 'from' ? 'to' : 'from';
    var parsed = parseNumber(srcInput.value);

    setError(other, '');
    if (parsed.empty) {
      setError(state.edited, '');
      dstInput.value = '';
      el.summary.textContent = '';
      renderAll(null);
      return;
    }
    if (parsed.error) {
      setError(state.edited, 'Enter a number, like 12.5 or -40.');
      el.summary.textContent = '';
      renderAll(null);
      return;
    }
    if (belowAbsoluteZero(parsed.value, srcUnit)) {
      setError(state.edited, 'That is colder than absolute zero.');
      dstInput.value = '';
      el.summary.textContent = '';
      renderAll(null);
      return;
    }
    setError(state.edited, '');
    var result = convert(parsed.value, srcUnit, dstUnit);
    dstInput.value = formatPlain(result);

    var fromValue = state.edited === 'from' ? parsed.value : result;
    el.summary.textContent =
      formatNice(fromValue) + ' ' + unit(state.from).symbol + ' = ' +
      formatNice(state.edited === 'from' ? result : parsed.value) + ' ' + unit(state.to).symbol;
    save(KEY_VALUE, formatPlain(fromValue));
    renderAll(fromValue);
  }

  function renderAll(fromValue) {
    var list = el.all;
    list.textContent = '';
    var src = unit(state.from);
    category().units.forEach(function (u) {
      var li = document.createElement('li');
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'all-item';
      btn.dataset.testid = 'all-result-' + u.id;
      btn.dataset.unit = u.id;
      if (u.id === state.to) {
        btn.setAttribute('aria-current', 'true');
      }
      if (u.id === state.from) {
        btn.classList.add('is-source');
      }
      var value = document.createElement('span');
      value.className = 'all-value';
      value.textContent = fromValue === null ? '\u2014' : formatNice(convert(fromValue, src, u));
      var sym = document.createElement('span');
      sym.className = 'all-symbol';
      sym.textContent = u.symbol;
      var name = document.createElement('span');
      name.className = 'all-name';
      name.textContent = u.name;
      btn.appendChild(value);
      btn.appendChild(sym);
      btn.appendChild(name);
      btn.title = 'Convert to ' + u.name.toLowerCase();
      li.appendChild(btn);
      list.appendChild(li);
    });
  }

  function fillSelect(select, selected) {
    select.textContent = '';
    category().units.forEach(function (u) {
      var opt = document.createElement('option');
      opt.value = u.id;
      opt.textContent = u.name + ' (' + u.symbol + ')';
      opt.selected = u.id === selected;
      select.appendChild(opt);
    });
    select.value = selected;
  }

  function rememberUnits() {
    state.units[state.category] = [state.from, state.to];
    save(KEY_UNITS, JSON.stringify(state.units));
  }

  function setCategory(id, keepValue) {
    var cat = categories.find(function (c) { return c.id === id; }) || categories[0];
    state.category = cat.id;
    var pair = state.units[cat.id];
    var valid = Array.isArray(pair) && pair.length === 2 &&
      pair.every(function (uid) { return cat.units.some(function (u) { return u.id === uid; }); });
    state.from = valid ? pair[0] : cat.defaults[0];
    state.to = valid ? pair[1] : cat.defaults[1];
    fillSelect(el.fromUnit, state.from);
    fillSelect(el.toUnit, state.to);
    var radio = el.categories.querySelector('input[value="' + cat.id + '"]');
    if (radio) {
      radio.checked = true;
    }
    document.body.dataset.category = cat.id;
    save(KEY_CATEGORY, cat.id);
    if (!keepValue && (state.edited === 'to' || parseNumber(el.fromValue.value).error)) {
      el.fromValue.value = '1';
    }
    state.edited = 'from';
    update();
  }

  function swap() {
    var f = state.from;
    state.from = state.to;
    state.to = f;
    var carried = el.toValue.value;
    el.fromUnit.value = state.from;
    el.toUnit.value = state.to;
    if (carried !== '') {
      el.fromValue.value = carried;
    }
    state.edited = 'from';
    rememberUnits();
    update();
  }

  function buildCategories() {
    categories.forEach(function (cat) {
      var label = document.createElement('label');
      label.className = 'chip';
      var input = document.createElement('input');
      input.type = 'radio';
      input.name = 'category';
      input.value = cat.id;
      input.dataset.testid = 'category-' + cat.id;
      var text = document.createElement('span');
      text.textContent = cat.name;
      label.appendChild(input);
      label.appendChild(text);
      el.categories.appendChild(label);
    });
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

  function renderAbout() {
    el.about.textContent = '';
    if (typeof window.callNative !== 'function') {
      return;
    }
    window.callNative('app.info', {}).then(function (info) {
      var v = versionOf(info);
      el.about.textContent = v ? 'Version ' + v : '';
    }, function () { /* not worth an error */ });
  }

  // ------------------------------------------------------------------ init

  function init() {
    el.categories = document.getElementById('categories');
    el.fromValue = document.getElementById('from-value');
    el.toValue = document.getElementById('to-value');
    el.fromUnit = document.getElementById('from-unit');
    el.toUnit = document.getElementById('to-unit');
    el.fromError = document.getElementById('from-error');
    el.toError = document.getElementById('to-error');
    el.swap = document.getElementById('swap');
    el.summary = document.getElementById('summary');
    el.all = document.getElementById('all-results');
    el.about = document.getElementById('about');

    buildCategories();
    state.units = loadUnits();

    el.categories.addEventListener('change', function (event) {
      if (event.target.name === 'category') {
        setCategory(event.target.value, false);
      }
    });
    el.fromValue.addEventListener('input', function () {
      state.edited = 'from';
      update();
    });
    el.toValue.addEventListener('input', function () {
      state.edited = 'to';
      update();
    });
    el.fromUnit.addEventListener('change', function () {
      state.from = el.fromUnit.value;
      rememberUnits();
      update();
    });
    el.toUnit.addEventListener('change', function () {
      state.to = el.toUnit.value;
      rememberUnits();
      update();
    });
    el.swap.addEventListener('click', swap);
    el.all.addEventListener('click', function (event) {
      var btn = event.target.closest('.all-item');
      if (!btn) {
        return;
      }
      state.to = btn.dataset.unit;
      el.toUnit.value = state.to;
      state.edited = 'from';
      rememberUnits();
      update();
    });
    document.addEventListener('keydown', function (event) {
      if (event.altKey && !event.ctrlKey && !event.metaKey &&
          (event.key.toLowerCase() === 'x' || event.code === 'KeyX')) {
        event.preventDefault();
        swap();
      }
    });
    var lastValue = load(KEY_VALUE);
    if (lastValue !== null && !parseNumber(lastValue).error && !parseNumber(lastValue).empty) {
      el.fromValue.value = lastValue;
    }
    setCategory(load(KEY_CATEGORY) || categories[0].id, true);
    renderAbout();
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
