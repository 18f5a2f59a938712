/* Strongroom harness bridge: defines window.api (the DesktopApi of src-shared/ipc-contract.ts)
 * over a WebSocket to the harness, standing in for Electron's preload. Loaded as a classic script
 * before the app's module scripts, so window.api exists when the app starts. The token comes from
 * the page's own URL (?token=...), which the harness printed. */
/* global window, location */
(function () {
  'use strict';
  // Replaced by the harness with the contract's channel list, so the bridge cannot drift.
  var CHANNELS = /*CHANNELS*/ [];
  var EVENTS = /*EVENTS*/ {};

  var token = new URLSearchParams(location.search).get('token') || '';
  var socket = new WebSocket(
    (location.protocol === 'https:' ? 'wss://' : 'ws://') +
      location.host +
      '/bridge?token=' +
      encodeURIComponent(token),
  );
  var open = false;
  var everOpen = false;
  var ended = false;
  var nextId = 1;
  var pending = new Map();
  var queue = [];
  var listeners = {};
  Object.keys(EVENTS).forEach(function (name) {
    listeners[name] = new Set();
  });

  socket.addEventListener('open', function () {
    open = true;
    everOpen = true;
    queue.splice(0).forEach(function (text) {
      socket.send(text);
    });
  });
  socket.addEventListener('message', function (message) {
    var data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (data.type === 'result' && pending.has(data.id)) {
      var done = pending.get(data.id);
      pending.delete(data.id);
      done.resolve(data.result);
    } else if (data.type === 'event' && listeners[data.name]) {
      listeners[data.name].forEach(function (listener) {
        listener(data.payload);
      });
    } else if (data.type === 'reload') {
      // Locked while open: a fresh page keeps no account data in memory.
      ended = true;
      location.reload();
    } else if (data.type === 'close') {
      // Lock… closed the app: nothing of it stays reachable in this tab.
      ended = true;
      location.replace('./closed.html');
    }
  });
  socket.addEventListener('close', function () {
    open = false;
    pending.forEach(function (p) {
      p.reject(new Error('The connection to Strongroom was closed.'));
    });
    pending.clear();
    // The harness went away or closed this page: like a closed window. (A refused token never
    // opened: the app then says it cannot reach Strongroom.)
    if (!ended && everOpen) location.replace('./closed.html');
  });

  function call(channel, input) {
    return new Promise(function (resolve, reject) {
      if (ended || socket.readyState > 1) {
        reject(new Error('The connection to Strongroom was closed.'));
        return;
      }
      var id = nextId++;
      pending.set(id, { resolve: resolve, reject: reject });
      var text = JSON.stringify({ id: id, channel: channel, input: input });
      if (open) socket.send(text);
      else queue.push(text);
    });
  }

  var api = {};
  CHANNELS.forEach(function (channel) {
    var parts = channel.split(':');
    var name = parts[0] + parts[1].charAt(0).toUpperCase() + parts[1].slice(1);
    api[name] = function (input) {
      return call(channel, input);
    };
  });
  Object.keys(EVENTS).forEach(function (name) {
    api[name] = function (listener) {
      listeners[name].add(listener);
      return function () {
        listeners[name].delete(listener);
      };
    };
  });
  Object.defineProperty(window, 'api', { value: Object.freeze(api), writable: false, configurable: false });
})();
