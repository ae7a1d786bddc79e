// app.js - wires the dashboard together: connection -> state -> view.
import { connect } from './connection.js';
import { createState, applyMessage } from './state.js';
import { createSeriesList, showConnection, showFooter, showCurlExample } from './ui.js';

const root = document.body;
const state = createState();
const list = createSeriesList(root);
showCurlExample(root);

connect({
  onState: (text) => showConnection(root, text),
  onMessage: (msg) => {
    if (!applyMessage(state, msg)) return;
    list.render(state.rows);
    showFooter(root, state.hello, state.rows.length, state.server);
  },
});

// For tests and debugging: the current state, read-only by convention.
window.spiderState = state;
