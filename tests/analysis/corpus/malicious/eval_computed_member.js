// Technique: build the name "eval" or "Function" as a string and look it up on the global object.
window['ev' + 'al'](payload); // expect: SA102
globalThis[`ev${'al'}`](payload); // expect: SA102
self["\x65\x76\x61\x6c"](payload); // expect: SA102
window[String.fromCharCode(101, 118, 97, 108)](payload); // expect: SA102
top[['e', 'v', 'a', 'l'].join('')](payload); // expect: SA102
window['lave'.split('').reverse().join('')](payload); // expect: SA102
const k = 'ev';
const name = k + 'al';
window[name](payload); // expect: SA102
parent[atob('ZXZhbA==')](payload); // expect: SA102
window['Func' + 'tion'](payload)(); // expect: SA102
Function('return this')()['ev' + 'al'](payload); // expect: SA102
const ge = window['ev' + 'al']; // expect: SA102
const w = window;
w['ev' + 'al'](payload); // expect: SA102
document.defaultView['ev' + 'al'](payload); // expect: SA102
frame.contentWindow['ev' + 'al'](payload); // expect: SA102
Reflect.get(window, 'ev' + 'al')(payload); // expect: SA102
const { eval: e2 } = window; // expect: SA102
const { ['ev' + 'al']: e3 } = globalThis; // expect: SA102
