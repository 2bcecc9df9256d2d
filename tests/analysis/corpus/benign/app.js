// A small, ordinary mini-app.
const notes = [];

async function save(text) {
  notes.push({ text, at: Date.now() });
  await window.callNative('storage.set', { key: 'notes', value: JSON.stringify(notes) });
}

async function load() {
  const res = await window.callNative('storage.get', { key: 'notes' });
  return res ? JSON.parse(res) : [];
}

async function weather(city) {
  const r = await fetch(`https://api.example.com/weather?q=${encodeURIComponent(city)}`);
  return r.json();
}

document.querySelector('#save').addEventListener('click', () => {
  const text = document.querySelector('#text').value;
  save(text).then(() => window.callNative('ui.toast', { text: 'Saved' }));
});

const template = (name) => `<li class="note">${name}</li>`;
document.querySelector('#list').innerHTML = notes.map((n) => template(n.text)).join('');

export { save, load, weather };
