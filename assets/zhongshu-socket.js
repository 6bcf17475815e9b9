/* zhongshu: a small Socket.IO (protocol 5, Engine.IO 4) client over WebSocket only.
 *
 * Why our own: the wall must see every delta in order and decide itself when to resync; clients that
 * surface events as Dash props lose events to Dash's prop coalescing. This client reconnects forever
 * with capped exponential backoff (0.5 s doubling to 15 s) and jitter, at once when the browser reports
 * its network back, and treats a missing server ping as a lost connection.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});

  function SocketClient(options) {
    this.path = options.path || "/socket.io/";
    this.auth = options.auth || {};
    this.handlers = {};
    this.attempt = 0;
    this.connected = false;
    this.stopped = false;
    this.ws = null;
    this.watchdog = null;
    this.retryTimer = null;
  }

  SocketClient.prototype.on = function (name, fn) {
    (this.handlers[name] = this.handlers[name] || []).push(fn);
    return this;
  };

  SocketClient.prototype._fire = function (name, payload) {
    var list = this.handlers[name] || [];
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](payload);
      } catch (err) {
        if (window.console) console.error("zhongshu: handler for " + name + " failed", err);
      }
    }
  };

  SocketClient.prototype.connect = function () {
    var self = this;
    if (self.stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + self.path + "?EIO=4&transport=websocket";
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      self._scheduleRetry();
      return;
    }
    self.ws = ws;
    ws.onmessage = function (msg) {
      if (self.ws === ws) self._onPacket(String(msg.data));
    };
    ws.onclose = function () {
      if (self.ws === ws) self._onClose();
    };
    ws.onerror = function () {
      /* onclose follows and schedules the retry */
    };
  };

  SocketClient.prototype._armWatchdog = function () {
    var self = this;
    clearTimeout(self.watchdog);
    self.watchdog = setTimeout(function () { self._abandon(); }, self.pingDeadline || 60000);
  };

  // The server's pings stopped: the network is gone. Give up on this socket at once (a close handshake over
  // a dead network would keep it "open" for minutes) and start reconnecting; its late events are ignored.
  SocketClient.prototype._abandon = function () {
    var ws = this.ws;
    if (!ws) return;
    this._onClose();
    try { ws.close(); } catch (err) { /* already closing */ }
  };

  SocketClient.prototype._onPacket = function (data) {
    var kind = data.charAt(0);
    if (kind === "0") {
      var open = JSON.parse(data.slice(1));
      this.pingDeadline = (open.pingInterval || 25000) + (open.pingTimeout || 20000);
      this._armWatchdog();
      this.ws.send("40" + JSON.stringify(this.auth));
    } else if (kind === "2") {
      this.ws.send("3");
      this._armWatchdog();
    } else if (kind === "4") {
      this._onSocketIO(data.slice(1));
    } else if (kind === "1") {
      this.ws.close();
    }
  };

  SocketClient.prototype._onSocketIO = function (packet) {
    var kind = packet.charAt(0);
    if (kind === "0") {
      this.attempt = 0;
      this.connected = true;
      this._fire("connect");
    } else if (kind === "2") {
      var start = packet.indexOf("[");
      if (start < 0) return;
      var args = JSON.parse(packet.slice(start));
      this._fire(args[0], args[1]);
    } else if (kind === "4") {
      this._fire("connect_error", packet.slice(1));
      this.ws.close();
    } else if (kind === "1") {
      this.ws.close();
    }
  };

  SocketClient.prototype._onClose = function () {
    clearTimeout(this.watchdog);
    var was = this.connected;
    this.connected = false;
    this.ws = null;
    if (was) this._fire("disconnect");
    this._scheduleRetry();
  };

  SocketClient.prototype._scheduleRetry = function () {
    var self = this;
    if (self.stopped) return;
    var cap = Math.min(15000, 500 * Math.pow(2, self.attempt));
    var delay = cap / 2 + Math.random() * (cap / 2);
    self.attempt = Math.min(self.attempt + 1, 10);
    clearTimeout(self.retryTimer);
    self.retryTimer = setTimeout(function () {
      self.connect();
    }, delay);
  };

  // The browser says its network is back: try now instead of at the end of a backoff of up to 15 s.
  SocketClient.prototype.retryNow = function () {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    this.connect();
  };

  SocketClient.prototype.close = function () {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    if (this.ws) this.ws.close();
  };

  ns.SocketClient = SocketClient;
})();
