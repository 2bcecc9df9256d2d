// Benign idioms that look like the malicious techniques but are not.
var root = Function('return this')();
var g = (0, eval)('this');
var probe = new Function('');
if (typeof eval === 'function') { console.log('eval exists'); }
setTimeout(function () { tick(); }, 10);
setInterval(() => tick(), 1000);
setTimeout(tick, 0);
window[callbackName](data);           // JSONP-style dispatch by an unknown name
var self = this;                      // a local named like a global
self.value = 1;
if (obj.constructor === Object) { copy(obj); }
var isFn = value instanceof Function;
var proto = Function.prototype;
var bound = fn.bind(null);
var evaluated = evaluate(expression);  // names containing "eval" are not eval
var link = { href: 'javascript:void(0)' };
a.href = 'javascript:void(0)';
var ns = 'http://www.w3.org/2000/svg';
el.setAttribute('src', 'images/logo.png');
var script = document.createElement('script');
script.src = 'vendor/lib.js';
new Worker('worker.js');
import('./chunk-abc123.js');
