  /*
   * superapp shims, callNative's request (assets/shim-call.js): put in place of the line
   * "@include shim-call.js" in shim.js and dual-logic-worker.js only, after shim-common.js.
   * The view's shim never includes it (the view has no callNative). Builds the request text;
   * each shim sends it over its own path.
   */
  var callText = (function (stringify, fail) {
    // The JSON text of one call, or throws the rejection callNative returns.
    return function (id, api, params) {
      if (typeof api !== "string") throw fail("INVALID_PARAMS", "api must be a string");
      try {
        return stringify({ id: id, api: api, params: params === undefined ? {} : params });
      } catch (e) {
        throw fail("INVALID_PARAMS", "params must be JSON-serialisable");
      }
    };
  })(JSON.stringify, shared.fail);
