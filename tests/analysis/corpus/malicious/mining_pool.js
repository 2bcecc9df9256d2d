// Technique: speak a mining pool protocol.
var pool = 'stratum+tcp://xmr.pool.example:3333'; // expect: SA402
var tls = "stratum+ssl://pool.example:443"; // expect: SA402
ws.send(JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] })); // expect: SA402
ws.send(JSON.stringify({ id: 2, method: 'mining.submit', params: [job] })); // expect: SA402
