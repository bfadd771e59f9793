// One assistant turn: everything the agent did between a user message and its answer, built from live
// events or from stored history. Sub-agent events (is_subagent: true) go into the innermost open
// spawn_agent card.
import { h } from "./dom.js";
import { answerStats } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { SPAWN_AGENT, approvalCard, argsKey, notice, planCard, planningStatus, thinkingBlock, toolCard } from "./cards.js";

export class Turn {
  constructor({ live = false } = {}) {
    this.body = h("div.turn-body");
    this.footer = h("footer.turn-stats", { hidden: true });
    this.el = h("article.turn", { "aria-label": "Answer" }, h("div.avatar", { "aria-hidden": "true", text: "N" }), h("div.turn-main", {}, this.body, this.footer));
    this.cards = []; // tool cards in arrival order, pending ones matched by tool and arguments
    this.agents = []; // open spawn_agent cards, innermost last
    this.thinking = null; // the live reasoning block
    this.segment = null; // the answer text being streamed {el, text, rendered}
    this.segments = []; // every stretch of answer text (tool calls may come between them)
    this.status = null; // planning status line
    this.renderQueued = false;
    this.byCallId = new Map(); // history: tool_call_id -> card
    this.setLive(live);
  }

  setLive(live) {
    this.live = live;
    this.el.classList.toggle("streaming", live);
  }

  // --- routing --------------------------------------------------------------------------------------------
  container(isSubagent) {
    if (isSubagent && this.agents.length) return this.agents.at(-1).nested;
    return this.body;
  }

  add(el, isSubagent = false) {
    if (isSubagent && !this.agents.length) el.classList.add("from-subagent");
    this.container(isSubagent).append(el);
    if (!isSubagent) this.segment = null; // text after this card starts a new paragraph of the answer
  }

  // --- reasoning ------------------------------------------------------------------------------------------
  thinkingDelta(delta) {
    if (!this.thinking) {
      this.thinking = thinkingBlock("", { live: true });
      this.add(this.thinking.el);
    }
    this.thinking.append(delta);
  }

  thinkingEnd() {
    this.thinking?.finish();
    this.thinking = null;
  }

  turnThinking(text, isSubagent = false) {
    if (!text) return;
    this.add(thinkingBlock(text).el, isSubagent);
  }

  // --- planning -------------------------------------------------------------------------------------------
  planningStatus(label, isSubagent = false) {
    const owner = isSubagent && this.agents.length ? this.agents.at(-1) : this;
    if (!owner.status) {
      owner.status = planningStatus(label);
      this.add(owner.status.el, isSubagent);
    } else owner.status.set(label);
  }

  planReady(plan, isSubagent = false) {
    const owner = isSubagent && this.agents.length ? this.agents.at(-1) : this;
    owner.status?.el.remove();
    owner.status = null;
    this.add(planCard(plan), isSubagent);
  }

  // --- tools ----------------------------------------------------------------------------------------------
  toolStarted(tool, args, isSubagent = false, callId = null) {
    isSubagent = Boolean(isSubagent);
    this.thinkingEnd();
    const card = toolCard(tool, args);
    card.subagent = isSubagent;
    this.add(card.el, isSubagent);
    this.cards.push(card);
    if (callId) this.byCallId.set(callId, card);
    if (tool === SPAWN_AGENT) this.agents.push(card);
    return card;
  }

  toolCall(tool, args, result, success, isSubagent = false) {
    isSubagent = Boolean(isSubagent);
    const key = argsKey(args);
    const pending = this.cards.filter((c) => c.pending && c.tool === tool && c.subagent === isSubagent);
    let card = pending.find((c) => c.key === key) || pending[0];
    if (!card) card = this.toolStarted(tool, args, isSubagent); // tool_started was missed: show the result anyway
    card.finish(result, success);
    if (tool === SPAWN_AGENT) this.agents = this.agents.filter((c) => c !== card);
  }

  /** tool_approval_required: Allow / Deny under the waiting call's card; `answer(approved)` sends it. */
  approvalRequired(event, answer) {
    const isSubagent = Boolean(event.is_subagent);
    const pending = this.cards.filter((c) => c.pending && c.tool === event.tool && c.subagent === isSubagent);
    const card = pending.find((c) => c.key === argsKey(event.args)) || pending.at(-1) || this.toolStarted(event.tool, event.args, isSubagent);
    const approval = approvalCard(event, answer);
    card.approval = approval;
    card.el.after(approval.el);
    if (this.live) approval.focus();
  }

  toolResult(callId, name, content) {
    const card = this.byCallId.get(callId) || this.cards.find((c) => c.pending && c.tool === name);
    if (card) {
      card.finish(content, !/^error\b/i.test(content || ""));
      if (card.tool === SPAWN_AGENT) this.agents = this.agents.filter((c) => c !== card);
    } else this.toolCall(name, {}, content, true);
  }

  // --- the answer -----------------------------------------------------------------------------------------
  streamDelta(delta) {
    this.thinkingEnd();
    if (!this.segment) {
      this.segment = { el: h("div.answer.markdown"), text: "", rendered: null };
      this.segments.push(this.segment);
      this.body.append(this.segment.el);
    }
    this.segment.text += delta;
    this.scheduleRender();
  }

  answer(text) {
    if (!text) return;
    this.segment = null;
    this.streamDelta(text);
    this.flush();
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => this.flush());
  }

  /** Render pending Markdown now (before the turn is shown after a replay, and at the end). */
  flush() {
    this.renderQueued = false;
    for (const segment of this.segments) {
      if (segment.rendered === segment.text) continue;
      renderMarkdown(segment.el, segment.text);
      segment.rendered = segment.text;
    }
  }

  // --- the end --------------------------------------------------------------------------------------------
  end(event) {
    this.thinkingEnd();
    // stream_end repeats the whole answer (every model turn's text, joined): trust it over the deltas, in case
    // one went missing. Text the deltas lack at the end is added; anything else replaces what was streamed.
    const shown = this.segments.map((segment) => segment.text).join("");
    if (event.content && event.content !== shown) {
      if (!event.content.startsWith(shown)) {
        for (const segment of this.segments) segment.el.remove();
        this.segments = [];
        this.segment = null;
      }
      this.streamDelta(event.content.slice(this.segments.length ? shown.length : 0));
    }
    this.flush();
    if (event.truncated) this.truncated();
    this.stats(event);
    this.finish();
  }

  /** The model stopped at its token limit: the answer is kept, and says it is not whole. */
  truncated() {
    this.add(notice("truncated", "The answer was cut off at the model's token limit."));
  }

  stats(event) {
    const text = answerStats(event);
    if (!text) return;
    this.footer.textContent = text;
    this.footer.hidden = false;
  }

  stopped() {
    this.add(notice("stopped", "Stopped."));
    this.finish();
  }

  error(message) {
    this.add(notice("error", message || "Something went wrong."));
    this.finish();
  }

  note(el) {
    this.add(el);
  }

  finish() {
    this.thinkingEnd();
    this.flush();
    this.status?.el.remove();
    this.status = null;
    // Tools still spinning will not report any more; show them as interrupted, not running forever.
    for (const card of this.cards.filter((c) => c.pending)) card.interrupt();
    this.setLive(false);
  }
}
