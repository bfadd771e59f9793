// The conversation of one session: stored history plus the live run, fed by the session's WebSocket.
import { api } from "./api.js";
import { h } from "./dom.js";
import { notice } from "./cards.js";
import { compressionNotice, historyElements, userMessage } from "./history.js";
import { SessionSocket } from "./socket.js";
import { Turn } from "./turn.js";

// A replay follows stream_start at once when there is one; wait this long before showing a fresh run's turn.
const REPLAY_GRACE_MS = 120;
const FALLBACK_LOAD_MS = 2500;

export class ChatView {
  /**
   * @param {HTMLElement} list  the scrolling message list
   * @param {object} hooks  onBusy(busy), onLoading(loading), onSession(session), onRunEnd(event), onGone(),
   *                        onConnection(state, detail), onProfile(profileId, profileName), onContext(tokens, max)
   */
  constructor(list, hooks) {
    this.list = list;
    this.hooks = hooks;
    this.sid = null;
    this.socket = null;
    this.busy = false;
  }

  open(sessionId) {
    this.close();
    this.sid = sessionId;
    this.generation = (this.generation || 0) + 1;
    this.ready = false;
    this.paused = 0;
    this.queue = [];
    this.turn = null;
    this.stale = [];
    this.replaying = false;
    this.ownRun = false;
    this.list.replaceChildren(h("div.loading", { role: "status", text: "Loading conversation…" }));
    this.setBusy(false);
    this.hooks.onLoading(true);
    this.loadStarted = false;
    this.socket = new SessionSocket(sessionId, {
      onEvent: (event) => this.receive(event),
      onState: (state, detail) => {
        if (state === "open") this.justConnected = true; // the next stream_start is a replay of a run in progress
        this.hooks.onConnection(state, detail);
      },
      onGone: () => this.hooks.onGone(sessionId),
    });
    // History is loaded when the socket says how things stand (session_sync, or stream_start + replay), so it is
    // read once and after any run the replay covers. Without a word from the socket soon, it is loaded anyway.
    this.fallbackTimer = setTimeout(() => this.startLoad(), FALLBACK_LOAD_MS);
  }

  close() {
    this.socket?.close();
    this.socket = null;
    // A load still under way belongs to what was closed: it must draw nothing (say, after a sign-out).
    this.generation = (this.generation || 0) + 1;
    clearTimeout(this.attachTimer);
    clearTimeout(this.fallbackTimer);
    this.sid = null;
  }

  startLoad() {
    if (this.loadStarted) return;
    this.loadStarted = true;
    clearTimeout(this.fallbackTimer);
    this.load(this.generation);
  }

  async load(generation) {
    try {
      await this.reload();
    } catch (error) {
      if (generation !== this.generation) return;
      const retry = h("button.button", { type: "button", text: "Retry", onclick: () => this.load(generation) });
      this.list.replaceChildren(h("div.notice.error", { role: "alert" }, h("span.notice-text", { text: `Could not load this session: ${error.message}` }), retry));
      if (error.status === 404) this.hooks.onGone(this.sid);
      return;
    }
    if (generation !== this.generation) return;
    this.ready = true;
    this.hooks.onLoading(false);
    this.drain();
  }

  // Events wait while history loads: a reload replaces the whole list, so nothing may be drawn meanwhile.
  receive(event) {
    if (!this.ready && !this.loadStarted) {
      this.startLoad();
      if (event.type === "session_sync") return; // the load that starts now is what it asks for
    }
    if (!this.ready || this.paused) this.queue.push(event);
    else this.handle(event);
  }

  drain() {
    while (this.ready && !this.paused && this.queue.length) this.handle(this.queue.shift());
  }

  /** Replace the whole list with stored history, in one DOM operation (no flicker). */
  async reload() {
    const sid = this.sid;
    const generation = this.generation;
    this.paused += 1;
    let session;
    try {
      session = await api.session(sid);
    } finally {
      if (generation === this.generation) {
        this.paused -= 1;
        // Events that came in meanwhile go on top of the fresh history (a queued stream_start finds its tail
        // there); a microtask, so they run after the list below is replaced.
        queueMicrotask(() => this.drain());
      }
    }
    if (generation !== this.generation) return;
    const stickToBottom = this.atBottom();
    const elements = historyElements(session.messages);
    if (!elements.length) elements.push(h("div.empty-chat", { text: "No messages yet. Say hello." }));
    this.list.replaceChildren(...elements);
    this.turn = null;
    this.stale = [];
    this.replaying = false;
    this.hooks.onSession(session);
    this.hooks.onContext(session.context_token_count, session.max_context_tokens);
    if (stickToBottom || !this.ready) this.scrollToBottom();
  }

  // --- sending --------------------------------------------------------------------------------------------
  send({ content, images = [], files = [] }) {
    if (this.busy || !this.socket || !this.ready || this.paused) return false; // the box keeps the text
    const payload = { type: "message", content };
    if (images.length) payload.images = images;
    if (files.length) payload.files = files;
    if (!this.socket.send(payload)) {
      this.list.append(notice("error", "Not connected to the server; the message was not sent. Reconnecting…"));
      this.scrollToBottom();
      return false;
    }
    this.list.querySelector(".empty-chat")?.remove();
    this.list.append(userMessage({ content, images, created_at: new Date().toISOString() }));
    this.ownRun = true;
    this.setBusy(true); // until stream_start, stream_end or an error says otherwise
    this.scrollToBottom();
    return true;
  }

  async stop() {
    if (!this.sid) return;
    try {
      const result = await api.stop(this.sid);
      if (result && result.ok === false && this.busy && !this.turn) this.setBusy(false);
    } catch (error) {
      this.showError(`Could not stop: ${error.message}`);
    }
  }

  // --- events ---------------------------------------------------------------------------------------------
  handle(event) {
    if (event.type !== "stream_start" && event.type !== "heartbeat") this.justConnected = false;
    const stickToBottom = this.atBottom();
    try {
      this.dispatch(event);
    } catch (error) {
      // One bad event must not take the conversation down with it.
      console.error(error);
      this.showError(`Could not show a "${event.type}" event: ${error.message}`);
    }
    if (stickToBottom) requestAnimationFrame(() => this.scrollToBottom());
  }

  dispatch(event) {
    switch (event.type) {
      case "session_sync":
        this.setBusy(false); // no run is going
        return this.reload().catch((error) => this.showError(`Could not reload: ${error.message}`));
      case "stream_start":
        return this.startTurn();
      case "replay_start":
        this.replaying = true;
        clearTimeout(this.attachTimer);
        this.liveTurn().el.classList.add("replaying");
        return;
      case "replay_end":
        this.replaying = false;
        this.turn?.el.classList.remove("replaying");
        return this.attachTurn();
      case "heartbeat":
        return;
      case "thinking_delta":
        return this.liveTurn().thinkingDelta(event.delta || "");
      case "thinking_end":
        return this.liveTurn().thinkingEnd();
      case "turn_thinking":
        return this.liveTurn().turnThinking(event.thinking, event.is_subagent);
      case "planning_status":
        return this.liveTurn().planningStatus(event.label || event.phase, event.is_subagent);
      case "plan_ready":
        return this.liveTurn().planReady(event.plan || "", event.is_subagent);
      case "tool_started":
        return this.liveTurn().toolStarted(event.tool, event.args, event.is_subagent);
      case "tool_approval_required":
        return this.liveTurn().approvalRequired(event, (approved) =>
          Boolean(this.socket?.send({ type: "tool_approval", call_id: event.call_id, approved })),
        );
      case "tool_call":
        return this.liveTurn().toolCall(event.tool, event.args, event.result, event.success !== false, event.is_subagent);
      case "stream_delta":
        return this.liveTurn().streamDelta(event.delta || "");
      case "profile_switched":
        this.hooks.onProfile(event.profile_id, event.profile_name);
        return this.liveTurn().note(notice("profile", `Profile switched to ${event.profile_name || event.profile_id}. It applies from the next message.`));
      case "context_compressed":
        this.list.append(compressionNotice(event));
        return this.afterChange();
      case "stream_end":
        this.liveTurn().end(event);
        if (event.context_tokens != null) this.hooks.onContext(event.context_tokens, event.max_context_tokens);
        return this.endRun(event);
      case "stream_stopped":
        this.liveTurn().stopped();
        return this.endRun(event);
      case "error":
        if (this.turn) {
          this.turn.error(event.message);
          return this.endRun(event);
        }
        this.showError(event.message || "Something went wrong.");
        return this.setBusy(false);
      default:
        return; // an event this client does not know yet
    }
  }

  startTurn() {
    // On a (re)connect, whatever follows the last user message belongs to this run (stored tool calls, a partial
    // answer, the turn shown before the connection dropped): the replay rebuilds it, so it is swapped out when the
    // new turn goes in. A run that starts while connected is new: it replaces nothing.
    const onConnect = this.justConnected;
    this.stale = onConnect ? this.tailAfterLastUser() : [];
    // A run this page did not start (another tab or device) lacks its user message here: reload at its end.
    this.foreignRun = !this.ownRun && !onConnect;
    this.justConnected = false;
    this.ownRun = false;
    this.turn = new Turn({ live: true });
    this.replaying = false;
    this.setBusy(true);
    clearTimeout(this.attachTimer);
    if (onConnect) this.attachTimer = setTimeout(() => this.attachTurn(), REPLAY_GRACE_MS);
    else this.attachTurn();
  }

  liveTurn() {
    if (!this.turn) this.startTurn();
    // Live events show the turn at once; replayed ones build it off-page until replay_end.
    if (!this.replaying && !this.turn.el.isConnected) this.attachTurn();
    return this.turn;
  }

  attachTurn() {
    clearTimeout(this.attachTimer);
    if (!this.turn || this.turn.el.isConnected) return;
    const stickToBottom = this.atBottom();
    this.turn.flush();
    const [first, ...rest] = this.stale.filter((el) => el.isConnected);
    if (first) {
      first.replaceWith(this.turn.el);
      for (const el of rest) el.remove();
    } else {
      this.list.querySelector(".empty-chat")?.remove();
      this.list.append(this.turn.el);
    }
    this.stale = [];
    if (stickToBottom) this.scrollToBottom();
  }

  endRun(event) {
    this.attachTurn();
    this.turn = null;
    this.setBusy(false);
    this.afterChange();
    this.hooks.onRunEnd(event);
    if (this.foreignRun) {
      this.foreignRun = false;
      this.reload().catch((error) => this.showError(`Could not reload: ${error.message}`));
    }
  }

  tailAfterLastUser() {
    const children = [...this.list.children];
    let index = children.length - 1;
    while (index >= 0 && !children[index].classList.contains("user")) index -= 1;
    return children.slice(index + 1).filter((el) => el.classList.contains("turn"));
  }

  // --- page state -----------------------------------------------------------------------------------------
  showError(message) {
    this.list.append(notice("error", message));
    this.scrollToBottom();
  }

  setBusy(busy) {
    this.busy = busy;
    this.list.setAttribute("aria-busy", String(busy));
    this.hooks.onBusy(busy);
  }

  afterChange() {
    if (this.atBottom(160)) this.scrollToBottom();
  }

  atBottom(slack = 80) {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < slack;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
