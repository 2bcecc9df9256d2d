// Technique: javascript-obfuscator's rotated string array.
var _0x1a2b = ['log', 'Hello', 'push', 'shift'];  // expect: SA303
(function (_0x3c4d, _0x5e6f) {
  var _0x7a8b = function (_0x9c0d) {
    while (!![]) { // expect: SA302
      try {
        var _0xe1f2 = parseInt(_0x3c4d['indexOf']('x'));
        if (_0xe1f2 === _0x9c0d) break;
        else _0x3c4d['push'](_0x3c4d['shift']());
      } catch (_0xa3b4) {
        _0x3c4d['push'](_0x3c4d['shift']());
      }
    }
  };
  _0x7a8b(++_0x5e6f);
})(_0x1a2b, 0x1b3);
var _0xc5d6 = function (_0xe7f8, _0x1a2c) { return _0x1a2b[_0xe7f8 - 0x0]; };
console[_0xc5d6('0x0')](_0xc5d6('0x1'));
