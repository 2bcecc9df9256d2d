// Technique: pass code as a string to a timer.
setTimeout('alert(' + document.cookie + ')', 10); // expect: SA106
setInterval(code + '', 1000); // expect: SA106
window.setTimeout(`${code}`, 0); // expect: SA106
const st = setTimeout;
st('step(' + n + ')', 5); // expect: SA106
setTimeout(atob(blob), 1); // expect: SA104
setTimeout("eval(location.hash.slice(1))", 1); // expect: SA110, SA101
