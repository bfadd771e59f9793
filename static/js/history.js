// Stored history (GET /sessions/{id}) as page elements: user bubbles, assistant turns, notices.
import { h } from "./dom.js";
import { absoluteTime } from "./format.js";
import { notice } from "./cards.js";
import { Turn } from "./turn.js";

const IMAGE_SIGNATURES = { "/9j/": "image/jpeg", iVBOR: "image/png", R0lG: "image/gif", UklGR: "image/webp" };

/** Images arrive as raw base64 (history) or data URLs (just attached): both become displayable URLs. */
export function imageUrl(image) {
  if (image.startsWith("data:")) return image;
  const type = Object.entries(IMAGE_SIGNATURES).find(([prefix]) => image.startsWith(prefix))?.[1] || "image/png";
  return `data:${type};base64,${image}`;
}

export function userMessage({ content, images = [], created_at }) {
  const bubble = h("div.bubble", {}, h("div.user-text", { text: content || "" }));
  if (images.length) {
    bubble.prepend(
      h("div.thumbs", {}, images.map((image, i) => h("img.thumb", { src: imageUrl(image), alt: `Attached image ${i + 1}`, loading: "lazy" }))),
    );
  }
  return h("div.msg.user", { title: absoluteTime(created_at) }, bubble);
}

export function compressionNotice({ messages_before, messages_after, summary }) {
  const counts = messages_before != null ? `: ${messages_before} messages → ${messages_after}` : "";
  return notice("compressed", `Context compressed${counts}. Older turns were summarized for the model; this history is unchanged.`, summary);
}

/** All elements for a stored message list, in order. */
export function historyElements(messages) {
  const out = [];
  let turn = null;
  const currentTurn = () => {
    if (!turn) {
      turn = new Turn();
      out.push(turn.el);
    }
    return turn;
  };
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "user") {
      turn?.finish();
      turn = null;
      out.push(userMessage(m));
      continue;
    }
    if (m.is_compression) {
      out.push(compressionNotice({ summary: m.content }));
      continue;
    }
    if (m.is_summary) {
      out.push(notice("compressed", "Summary of earlier conversation", m.content));
      continue;
    }
    const t = currentTurn();
    if (m.is_plan) {
      t.planReady(m.content || "");
    } else if (m.role === "tool") {
      t.toolResult(m.tool_call_id, m.name, m.content);
    } else if (m.role === "assistant") {
      // The order they streamed in: reasoning, text, then the tool calls that text led to.
      if (m.thinking) t.turnThinking(m.thinking);
      if (m.content) t.answer(m.content);
      if (m.truncated) t.truncated();
      for (const call of m.tool_calls || []) t.toolStarted(call.name, call.arguments, false, call.id);
      if (m.images?.length) {
        t.note(h("div.thumbs", {}, m.images.map((image, i) => h("img.thumb", { src: imageUrl(image), alt: `Image ${i + 1}` }))));
      }
      if (m.elapsed_seconds != null || m.token_count != null) t.stats(m);
    }
  }
  turn?.finish();
  return out;
}
