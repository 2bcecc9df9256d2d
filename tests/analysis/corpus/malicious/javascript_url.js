// Technique: run code through javascript: URLs.
location = 'javascript:' + payload; // expect: SA101
link.href = 'javascript:eval(name)'; // expect: SA109, SA101
window.open('javascript:window["ev"+"al"](name)'); // expect: SA109, SA102
location.assign('javascript:alert(document.domain)'); // expect: SA109
el.setAttribute('href', 'javascript:' + code); // expect: SA101
button.setAttribute('onclick', 'eval(name)'); // expect: SA110, SA101
