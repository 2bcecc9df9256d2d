// Technique: reach the Function constructor without writing "Function".
Function.prototype.constructor(payload)(); // expect: SA102
[].constructor.constructor(payload)(); // expect: SA102
''.constructor.constructor(payload)(); // expect: SA102
(function () {}).constructor(payload)(); // expect: SA102
(() => 0).constructor(payload)(); // expect: SA102
Object.getPrototypeOf(function () {}).constructor(payload)(); // expect: SA102
alert.constructor(payload)(); // expect: SA102
[]['constructor']['constructor'](payload)(); // expect: SA102
[]['const' + 'ructor']['const' + 'ructor'](payload)(); // expect: SA102
const F = Function;
F(payload)(); // expect: SA102
new F('a', payload); // expect: SA102
[].map.constructor(payload)(); // expect: SA102
[]['filter']['constructor'](payload)(); // expect: SA102
anything.constructor.constructor(payload)(); // expect: SA102
Function`${payload}```; // expect: SA103
