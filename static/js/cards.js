// The cards inside an assistant turn: reasoning, tool calls, sub-agents, plans, notices.
import { h } from "./dom.js";
import { shortJson } from "./format.js";
import { renderMarkdown } from "./markdown.js";

const SPAWN_AGENT = "spawn_agent";

export function argsKey(args) {
  try {
    return JSON.stringify(args ?? {});
  } catch {
    return String(args);
  }
}

function argsSummary(tool, args) {
  if (!args || typeof args !== "object") return "";
  if (tool === SPAWN_AGENT && args.task) return args.task;
  const values = Object.values(args).filter((v) => typeof v === "string" || typeof v === "number");
  return values.join(" · ");
}

/** A collapsible reasoning block; `live` while thinking_delta streams into it. */
export function thinkingBlock(text = "", { live = false } = {}) {
  const label = h("span.label", { text: live ? "Thinking…" : "Reasoning" });
  const body = h("div.thinking-text", { text });
  const el = h("details.thinking", { open: live }, h("summary", {}, h("span.spinner", { "aria-hidden": "true" }), label), body);
  if (live) el.classList.add("live");
  return {
    el,
    append(delta) {
      body.textContent += delta;
    },
    finish() {
      el.classList.remove("live");
      label.textContent = "Reasoning";
      el.open = false;
    },
  };
}

/** The parts of a tool's name: MCP tools are `<server>__<tool>`. */
export function toolLabel(tool) {
  const at = tool.indexOf("__");
  if (at <= 0) return h("span.tool-name", { text: tool });
  return h("span.tool-name", { title: `${tool.slice(at + 2)} from the MCP server ${tool.slice(0, at)}` },
    h("span.tool-server", { text: tool.slice(0, at) }), tool.slice(at + 2));
}

/** A request to run a tool: what it would do, and Allow / Deny (buttons: reachable with Tab, Enter or Space). */
export function approvalCard({ tool, args }, answer) {
  const state = h("span.approval-state", { role: "status" });
  const allow = h("button.button.primary.approve", { type: "button", text: "Allow" });
  const deny = h("button.button.deny", { type: "button", text: "Deny" });
  const buttons = h("div.approval-actions", {}, allow, deny);
  const el = h(
    "section.card.approval",
    { role: "group", "aria-label": `Approve ${tool}?` },
    h("div.approval-question", {}, h("span", { text: "Allow this call of " }), toolLabel(tool), h("span", { text: "?" })),
    h("pre.args", { text: shortJson(args, 4000) }),
    buttons,
    state,
  );
  const settle = (text, kind) => {
    buttons.remove();
    state.textContent = text;
    el.classList.add(kind);
  };
  const choose = (approved) => {
    if (!answer(approved)) {
      state.textContent = "Not connected: try again when the connection is back.";
      return;
    }
    allow.disabled = deny.disabled = true;
    state.textContent = approved ? "Allowing…" : "Denying…";
  };
  allow.addEventListener("click", () => choose(true));
  deny.addEventListener("click", () => choose(false));
  return {
    el,
    focus: () => allow.focus(),
    // The call's outcome closes the request, whoever answered it and from where.
    resolve(success, result = "") {
      if (el.classList.contains("settled")) return;
      el.classList.add("settled");
      if (success) return settle("Allowed.", "allowed");
      if (/not approved within/i.test(result)) return settle("No answer in time: denied.", "denied");
      if (/denied by the user/i.test(result)) return settle("Denied.", "denied");
      if (/stopped by the user/i.test(result)) return settle("Stopped.", "denied");
      return settle("Allowed.", "allowed");
    },
  };
}

/** A tool call: pending (spinner, arguments) until done (result, success or failure). */
export function toolCard(tool, args) {
  const isAgent = tool === SPAWN_AGENT;
  const status = h("span.status", { text: "running" });
  const summary = h(
    "summary",
    {},
    h("span.spinner", { "aria-hidden": "true" }),
    h("span.status-icon", { "aria-hidden": "true" }),
    isAgent ? h("span.tool-name", { text: "Sub-agent" }) : toolLabel(tool),
    h("span.tool-args", { text: argsSummary(tool, args) }),
    status,
  );
  const argsBlock = h("div.card-section", {}, h("div.section-label", { text: "Arguments" }), h("pre.args", { text: shortJson(args, 4000) }));
  const resultBlock = h("div.card-section.result", { hidden: true }, h("div.section-label", { text: "Result" }), h("pre.result-text"));
  const nested = isAgent ? h("div.subagent-events", { "aria-label": "Sub-agent activity" }) : null;
  const el = h(
    `details.card.tool.pending${isAgent ? ".subagent" : ""}`,
    { open: isAgent, dataset: { tool, args: argsKey(args) } },
    summary,
    h("div.card-body", {}, argsBlock, nested, resultBlock),
  );
  return {
    el,
    tool,
    key: argsKey(args),
    nested,
    pending: true,
    finish(result, success = true) {
      this.pending = false;
      this.approval?.resolve(success, result);
      el.classList.remove("pending");
      el.classList.add(success ? "success" : "failure");
      status.textContent = success ? "done" : "failed";
      resultBlock.hidden = false;
      resultBlock.querySelector(".result-text").textContent = shortJson(result ?? "", 8000);
      if (isAgent) el.open = false;
    },
    interrupt() {
      this.pending = false;
      this.approval?.resolve(false, "stopped by the user");
      el.classList.remove("pending");
      el.classList.add("interrupted");
      status.textContent = "interrupted";
    },
  };
}

/** The plan from the planning phase, rendered as Markdown in a collapsible card. */
export function planCard(plan) {
  const body = h("div.card-body.markdown");
  renderMarkdown(body, plan);
  return h("details.card.plan", { open: true }, h("summary", {}, h("span.plan-icon", { "aria-hidden": "true", text: "☰" }), h("span", { text: "Plan" })), body);
}

export function planningStatus(label) {
  const text = h("span", { text: label });
  const el = h("div.planning-status", { role: "status" }, h("span.spinner", { "aria-hidden": "true" }), text);
  return { el, set: (value) => (text.textContent = value) };
}

/** An informational line: compression, profile switch, stop, error. */
export function notice(kind, text, details) {
  const el = h(`div.notice.${kind}`, { role: kind === "error" ? "alert" : "note" }, h("span.notice-text", { text }));
  if (details) el.append(h("details", {}, h("summary", { text: "Details" }), h("div.notice-details", { text: details })));
  return el;
}

export { SPAWN_AGENT };
