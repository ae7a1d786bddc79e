// signin.js - the sign-in page. The view token goes to the server once,
// as an Authorization header of POST /api/v1/signin (never in a URL); the
// server answers with an HttpOnly cookie that the dashboard and its
// WebSocket then carry, and this page moves on to the dashboard.
const form = document.getElementById('signin');
const input = document.getElementById('token');
const message = document.getElementById('message');

// What a token may hold (the server's rule): anything else cannot be one,
// and could not even be put in a header.
const TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

function say(text) {
  message.textContent = text;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = input.value.trim();
  if (!TOKEN.test(token)) {
    say('Wrong token: check it and try again.');
    input.select();
    return;
  }
  say('Signing in…');
  let res;
  try {
    res = await fetch('/api/v1/signin', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    say('The server cannot be reached.');
    return;
  }
  if (res.ok) {
    input.value = '';
    say('');
    location.replace('/');
    return;
  }
  input.select();
  say(res.status === 401 ? 'Wrong token: check it and try again.' : `Sign-in failed (HTTP ${res.status}).`);
});
