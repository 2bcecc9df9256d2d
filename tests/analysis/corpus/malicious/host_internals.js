// Technique: reach past callNative into the host's own bridges.
window.pywebview.api.read_file('/etc/passwd'); // expect: SA201
pywebview.api.anything(); // expect: SA201
window['py' + 'webview'].api.x(); // expect: SA201
globalThis['pywebview']; // expect: SA201
Reflect.get(window, 'pywebview'); // expect: SA201
qt.webChannelTransport.send('{}'); // expect: SA201
new QWebChannel(transport, (ch) => ch.objects); // expect: SA201
window.qt; // expect: SA201
window.chrome.webview.postMessage('x'); // expect: SA201
window.webkit.messageHandlers.bridge.postMessage('x'); // expect: SA201
const bridge = window['pyweb' + 'view']; // expect: SA201
