// Technique: decode or fetch a payload and compile it.
eval(atob(blob)); // expect: SA104
new Function(atob(blob))(); // expect: SA104
Function(unescape('%61%6c%65%72%74%28%31%29'))(); // expect: SA104
new Function(decodeURIComponent(part))(); // expect: SA104
Function(String.fromCharCode.apply(null, codes))(); // expect: SA104
fetch('payload.txt').then((r) => r.text()).then((t) => Function(t)()); // expect: SA104
xhr.onload = function () { new Function(this.responseText)(); }; // expect: SA104
const decoded = new TextDecoder().decode(bytes);
new Function(decoded)(); // expect: SA104
eval(atob('YWxlcnQoMSk=')); // expect: SA104
