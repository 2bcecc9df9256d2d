// Technique: compile fetched WebAssembly and fan it out over workers (the miner shape).
const mod = WebAssembly.instantiateStreaming(fetch('hash.wasm')); // expect: SA403
const bytes = await (await fetch('hash2.wasm')).arrayBuffer();
WebAssembly.compile(await (await fetch('hash3.wasm')).arrayBuffer()); // expect: SA403
for (let i = 0; i < navigator.hardwareConcurrency; i++) {
  new Worker('worker.js');
}
