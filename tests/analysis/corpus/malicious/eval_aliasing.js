// Technique: keep a reference to eval under another name, then call it.
const e = eval; // expect: SA102
e(payload); // expect: SA102
let f = e;
f(payload); // expect: SA102
var g;
g = window.eval; // expect: SA102
g(payload); // expect: SA102
const h = [eval][0]; // expect: SA102
h(payload); // expect: SA102
run(eval, payload); // expect: SA102
const { x = eval } = {}; // expect: SA102
