// connection.js - the live stream: connect to /ws, reconnect with backoff.
// Calls onMessage(json) for every server message and onState(text) when the
// connection state changes. Knows nothing about what the messages mean.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export function connect({ onMessage, onState }) {
  let delay = MIN_DELAY_MS;
  let socket = null;

  function open() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    onState('connecting');
    socket = new WebSocket(`${scheme}//${location.host}/ws`);
    socket.addEventListener('open', () => {
      delay = MIN_DELAY_MS;
      onState('live');
    });
    socket.addEventListener('message', (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else
      }
      onMessage(msg);
    });
    socket.addEventListener('close', () => {
      onState(`reconnecting in ${Math.round(delay / 1000)} s`);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  open();
  return {
    send(obj) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
    },
  };
}
