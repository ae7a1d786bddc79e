// connection.js - the live stream: connect to /ws, reconnect with backoff.
// Calls onOpen() once a connection is up (the caller re-sends its
// subscription there: a new connection starts subscribed to nothing),
// onMessage(json) for every server message and onState(state, text) when the
// connection state changes (state: 'connecting', 'live' or 'down'). Knows
// nothing about what the messages mean.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
// No message for this long (several push intervals) means the link is dead
// even if TCP has not noticed yet: close and reconnect.
const SILENCE_MS = 10000;

export function connect({ onMessage, onState, onOpen = () => {} }) {
  let delay = MIN_DELAY_MS;
  let socket = null;
  let watchdog = 0;

  function armWatchdog() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => socket && socket.close(), SILENCE_MS);
  }

  function open() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    onState('connecting', 'connecting');
    const ws = new WebSocket(`${scheme}//${location.host}/ws`, 'spider-v1');
    socket = ws;
    armWatchdog();
    ws.addEventListener('open', () => {
      delay = MIN_DELAY_MS;
      onState('live', 'live');
      onOpen();
    });
    ws.addEventListener('message', (event) => {
      if (ws !== socket) return;
      armWatchdog();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else
      }
      onMessage(msg);
    });
    ws.addEventListener('close', () => {
      if (ws !== socket) return;
      socket = null;
      clearTimeout(watchdog);
      // Jitter spreads the reconnects of many dashboards after a restart.
      const wait = delay * (0.75 + Math.random() * 0.5);
      onState('down', `reconnecting in ${Math.max(1, Math.round(wait / 1000))} s`);
      setTimeout(open, wait);
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
