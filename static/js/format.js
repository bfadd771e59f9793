// Formatting of times, sizes and counts for display.

const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "narrow" });

/** "just now", "5 min. ago", "yesterday" ... */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function absoluteTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

export function bytes(size) {
  if (size < 1024) return `${size} B`;
  const units = ["KB", "MB", "GB"];
  let value = size;
  let unit = -1;
  do {
    value /= 1024;
    unit += 1;
  } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function count(n) {
  return new Intl.NumberFormat().format(n ?? 0);
}

/** "12.4 s · 3 tool calls · 1,842 tokens" from stream_end / a stored answer. */
export function answerStats({ elapsed_seconds, tool_call_count, token_count }) {
  const parts = [];
  if (elapsed_seconds != null) parts.push(`${Number(elapsed_seconds).toFixed(1)} s`);
  if (tool_call_count != null) parts.push(`${tool_call_count} tool call${tool_call_count === 1 ? "" : "s"}`);
  if (token_count != null) parts.push(`${count(token_count)} tokens`);
  return parts.join(" · ");
}

export function shortJson(value, limit = 400) {
  let text;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  } catch {
    text = String(value);
  }
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
