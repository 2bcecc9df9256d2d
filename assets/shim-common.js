  /*
   * superapp shims, the part they share (assets/shim-common.js). The host puts it in place of
   * the line "@include shim-common.js" inside shim.js, dual-view-shim.js and
   * dual-logic-worker.js (superapp.resources.shim_text), so it runs first in each, before any
   * page or app script, and captures the built-ins it uses then, like the rest of the shim.
   * Local to the shim's closure: it defines no global and holds no channel.
   */
  var shared = (function (parse, Err, TypeErr, getProto, keysOf, isArray, ObjProto, isFinite_) {
    var MAX_DEPTH = 32;
    function fail(code, message) { var e = new Err(message); e.code = code; return e; }
    // The host's answer to one request: {id, ok: true, ...} or {id, ok: false, error}. The
    // request's promise is settled with ok(answer) or a rejection carrying error.code.
    function settle(pending, text, ok) {
      var msg;
      try { msg = parse(text); } catch (_) { return; }
      if (!msg || typeof msg.id !== "number") return;
      var p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok === true) p.resolve(ok(msg));
      else {
        var err = msg.error || {};
        p.reject(fail(String(err.code || "INTERNAL"), String(err.message || "internal error")));
      }
    }
    // Throws TypeError (naming `who`) unless value is plain data at most MAX_DEPTH deep.
    function plain(value, depth, who) {
      if (depth > MAX_DEPTH) throw new TypeErr(who + ": a message may be nested at most " + MAX_DEPTH + " deep");
      var t = typeof value;
      if (value === null || t === "string" || t === "boolean") return;
      if (t === "number") {
        if (!isFinite_(value)) throw new TypeErr(who + ": numbers must be finite");
        return;
      }
      if (t !== "object") throw new TypeErr(who + ": a message may hold plain data only, not " + t);
      if (isArray(value)) {
        for (var i = 0; i < value.length; i++) plain(value[i], depth + 1, who);
        return;
      }
      var proto = getProto(value);
      if (proto !== ObjProto && proto !== null) throw new TypeErr(who + ": a message may hold plain objects only");
      var k = keysOf(value);
      for (var j = 0; j < k.length; j++) plain(value[k[j]], depth + 1, who);
    }
    return { fail: fail, settle: settle, plain: plain };
  })(JSON.parse, Error, TypeError, Object.getPrototypeOf, Object.keys, Array.isArray,
     Object.prototype, Number.isFinite);
