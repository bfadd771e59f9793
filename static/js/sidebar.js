// The sessions sidebar: pinned first, then by activity; search; pin, delete, select.
import { api } from "./api.js";
import { h } from "./dom.js";
import { absoluteTime, relativeTime } from "./format.js";
import { icon } from "./icons.js";

export function sortSessions(sessions) {
  return [...sessions].sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    return new Date(b.last_active) - new Date(a.last_active);
  });
}

export function sessionTitle(session) {
  return session.name || session.preview || "New session";
}

export class Sidebar {
  /**
   * @param {{list: HTMLElement, empty: HTMLElement, search: HTMLInputElement}} els
   * @param {{onSelect(id), onDeleteConfirm(session): Promise<boolean>, onDeleted(id), onError(message)}} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    this.sessions = [];
    this.current = null;
    this.profiles = new Map();
    els.search.addEventListener("input", () => this.render());
    els.search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        els.list.querySelector(".session-open")?.focus();
      }
    });
    els.list.addEventListener("keydown", (event) => this.onKey(event));
    setInterval(() => this.refreshTimes(), 30_000);
  }

  async refresh() {
    try {
      this.sessions = await api.sessions();
    } catch (error) {
      this.hooks.onError(`Could not load sessions: ${error.message}`);
      return;
    }
    this.render();
  }

  get(id) {
    return this.sessions.find((s) => s.session_id === id);
  }

  setCurrent(id) {
    this.current = id;
    for (const item of this.els.list.children) {
      const open = item.querySelector(".session-open");
      item.classList.toggle("current", item.dataset.id === id);
      if (item.dataset.id === id) open.setAttribute("aria-current", "page");
      else open.removeAttribute("aria-current");
    }
  }

  matches(session, query) {
    if (!query) return true;
    const profile = this.profiles.get(session.profile_id)?.name || session.profile_id;
    return [session.name, session.preview, profile].some((text) => (text || "").toLowerCase().includes(query));
  }

  render() {
    const query = this.els.search.value.trim().toLowerCase();
    const shown = sortSessions(this.sessions).filter((s) => this.matches(s, query));
    this.els.list.replaceChildren(...shown.map((s) => this.item(s)));
    this.els.empty.hidden = shown.length > 0;
    this.els.empty.textContent = this.sessions.length ? "No session matches." : "No sessions yet.";
    this.setCurrent(this.current);
  }

  item(session) {
    const title = sessionTitle(session);
    const profile = this.profiles.get(session.profile_id)?.name || session.profile_id;
    const pinLabel = session.pinned ? "Unpin" : "Pin";
    return h(
      `li.session${session.pinned ? ".pinned" : ""}`,
      { dataset: { id: session.session_id } },
      h(
        "button.session-open",
        { type: "button", onclick: () => this.hooks.onSelect(session.session_id), title: absoluteTime(session.last_active) },
        h("span.session-name", { text: title }),
        h(
          "span.session-meta",
          {},
          session.pinned ? h("span.pin-mark", { title: "Pinned" }, icon("pin", 12), h("span.visually-hidden", { text: "Pinned" })) : null,
          h("span.session-profile", { text: profile }),
          h("time.session-time", { datetime: session.last_active, text: relativeTime(session.last_active) }),
        ),
      ),
      h(
        "div.session-actions",
        {},
        h("button.icon-button.pin-button", {
          type: "button",
          "aria-label": `${pinLabel} ${title}`,
          "aria-pressed": String(session.pinned),
          title: pinLabel,
          text: session.pinned ? "★" : "☆",
          onclick: () => this.pin(session),
        }),
        h("button.icon-button.delete-button", {
          type: "button",
          "aria-label": `Delete ${title}`,
          title: "Delete",
          onclick: () => this.remove(session),
        }, icon("trash", 16)),
      ),
    );
  }

  async pin(session) {
    try {
      await api.pin(session.session_id, !session.pinned);
      session.pinned = !session.pinned;
      this.render();
      this.els.list.querySelector(`[data-id="${session.session_id}"] .pin-button`)?.focus();
    } catch (error) {
      this.hooks.onError(`Could not ${session.pinned ? "unpin" : "pin"}: ${error.message}`);
    }
  }

  async remove(session) {
    if (!(await this.hooks.onDeleteConfirm(session))) return;
    try {
      await api.deleteSession(session.session_id);
    } catch (error) {
      if (error.status !== 404) {
        this.hooks.onError(`Could not delete: ${error.message}`);
        return;
      }
    }
    this.sessions = this.sessions.filter((s) => s !== session);
    this.render();
    this.hooks.onDeleted(session.session_id);
  }

  refreshTimes() {
    for (const time of this.els.list.querySelectorAll("time.session-time")) {
      time.textContent = relativeTime(time.getAttribute("datetime"));
    }
  }

  /** Up/Down move between sessions, Delete asks to delete the focused one. */
  onKey(event) {
    const buttons = [...this.els.list.querySelectorAll(".session-open")];
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = buttons[index + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) next.focus();
      else if (event.key === "ArrowUp") this.els.search.focus();
    } else if (event.key === "Delete") {
      event.preventDefault();
      const session = this.get(buttons[index].closest("li").dataset.id);
      if (session) this.remove(session);
    }
  }
}
