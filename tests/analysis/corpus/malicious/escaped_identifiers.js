// Technique: write names with escapes so a text search misses them.
var \u0061lert2 = 1; // expect: SA303
obj.\u0065xec(); // expect: SA303
document["\x63ookie"]; // expect: SA303
var _0x11aa = 1, _0x22bb = 2, _0x33cc = 3, _0x44dd = 4, _0x55ee = 5, _0x66ff = 6, _0x7711 = 7, _0x8822 = 8, _0x9933 = 9, _0xaa44 = 10; // expect: SA303
