// session.js - the dashboard's side of the sign-in: when the server asks
// for a view token, a sign-out button; when the cookie no longer opens the
// door (signed out elsewhere, or the token changed), the sign-in page.
const button = document.getElementById('signout');

async function check() {
  let res;
  try {
    res = await fetch('/api/v1/session', { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    return; // the server is away: connection.js shows that
  }
  if (res.status === 401) {
    location.replace('/signin.html');
    return;
  }
  if (!res.ok) return;
  const session = await res.json();
  button.hidden = !session.token_required;
}

button.addEventListener('click', async () => {
  try {
    await fetch('/api/v1/signout', { method: 'POST', credentials: 'same-origin' });
  } finally {
    location.replace('/signin.html');
  }
});

check();
