// One session's WebSocket, reconnecting with exponential backoff until closed on purpose.
// The server answers each (re)connect with session_sync (no run) or stream_start + replay (a run in progress),
// so the caller needs no bookkeeping of its own to catch up.
import { signInEnded } from "./api.js";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class SessionSocket {
  /**
   * @param {string} sessionId
   * @param {{onEvent: (event: object) => void, onState: (state: string, detail?: string) => void,
   *          onGone: () => void}} handlers
   */
  constructor(sessionId, handlers) {
    this.sessionId = sessionId;
    this.handlers = handlers;
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
    this.timer = null;
    this.open();
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/sessions/${this.sessionId}`;
  }

  get connected() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  open() {
    if (this.closed) return;
    this.handlers.onState(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.onState("open");
    });
    ws.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // not ours to show
      }
      this.handlers.onEvent(event);
    });
    ws.addEventListener("close", (close) => {
      if (this.ws !== ws || this.closed) return;
      if (close.code === 4004) {
        // The session does not exist (deleted elsewhere, or not this user's): retrying cannot help.
        this.closed = true;
        this.handlers.onGone();
        return;
      }
      if (close.code === 4001) {
        // Not signed in (any more): the same as a REST call's 401. Retrying would only be refused again.
        this.closed = true;
        signInEnded();
        return;
      }
      const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      this.handlers.onState("reconnecting", `Connection lost; retrying in ${Math.round(delay / 1000) || 1} s`);
      this.timer = setTimeout(() => this.open(), delay);
    });
  }

  /** Reconnect now (the browser came back online, or the user asked). */
  retryNow() {
    if (this.closed || this.connected) return;
    clearTimeout(this.timer);
    this.open();
  }

  send(payload) {
    if (!this.connected) return false;
    this.ws.send(JSON.stringify(payload));
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
  }
}
