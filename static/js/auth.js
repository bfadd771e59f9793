// Signing in and out (auth mode `oauth`). In `local` mode every request is the owner's: /auth/me always answers,
// and nothing here shows (there is no one to sign out).
import { api } from "./api.js";
import { $ } from "./dom.js";

export const authMode = document.body.dataset.authMode === "oauth" ? "oauth" : "local";

export const SIGN_IN_TEXT = {
  start: "Sign in to talk to your agents.",
  ended: "Your sign-in has ended. Sign in again to pick up where you left off.",
  endedWithDraft: "Your sign-in has ended. Sign in again to pick up where you left off: your unsent message is kept.",
  signedOut: "You are signed out.",
};

/** The signed-in user ({id, email, display_name, ...}), or null when nobody is (401). Other failures throw. */
export async function currentUser() {
  try {
    return await api.me();
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

// body[data-auth-state] drives the CSS: in oauth mode the app shell stays hidden until it is "signed-in", so
// nobody sees an app that cannot load; "signed-out" shows the sign-in screen instead.
function setState(state) {
  document.body.dataset.authState = state;
}

/** The app could not learn who is signed in (server down): show the app, whose calls say what is wrong. */
export function showUnknown() {
  setState("unknown");
}

export function showSignIn(text) {
  setState("signed-out");
  $("#sidebar-user").hidden = true;
  $("#sign-in-message").textContent = text;
  $("#sign-in").hidden = false;
  document.title = "Sign in · Navi";
  $("#sign-in-button").focus();
}

/** Signed in: the app shows, and in oauth mode the sidebar names the user (email as tooltip) with Sign out. */
export function showUser(user) {
  setState("signed-in");
  $("#sign-in").hidden = true;
  const box = $("#sidebar-user");
  box.hidden = authMode !== "oauth";
  if (box.hidden) return;
  const name = user.display_name || user.email || "Signed in";
  const label = $("#user-name");
  label.textContent = name;
  label.title = user.email || name;
  $("#user-initial").textContent = [...name.trim()][0]?.toUpperCase() || "?";
}

// --- the draft kept across a sign-in --------------------------------------------------------------------
// sessionStorage: it survives the round trip through the sign-in server in this tab, and ends with the tab
// (a draft should not outlive it on a shared computer). The user's id goes with it, so that someone else
// signing in at this tab does not get it.
const DRAFT_KEY = "navi.draft";

export function saveDraft({ userId, sessionId, text }) {
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ userId: userId || null, sessionId: sessionId || null, text }));
  } catch {
    // Storage off or full: the draft cannot be kept; signing in again still works.
  }
}

function readDraft() {
  try {
    const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY));
    if (!draft || typeof draft !== "object") return null;
    return {
      userId: typeof draft.userId === "string" ? draft.userId : null,
      // Only an id can come back from storage into the URL and the API paths.
      sessionId: typeof draft.sessionId === "string" && /^[\w-]+$/.test(draft.sessionId) ? draft.sessionId : null,
      text: typeof draft.text === "string" ? draft.text : "",
    };
  } catch {
    return null;
  }
}

/** Whether a draft waits for the next sign-in, and whether it has text: what the sign-in screen says. */
export function savedDraft() {
  return readDraft();
}

/** The draft saved for this user ({sessionId, text}), or null; one saved by someone else is dropped. */
export function draftFor(userId) {
  const draft = readDraft();
  if (!draft) return null;
  if (draft.userId && userId && draft.userId !== userId) {
    dropDraft();
    return null;
  }
  return draft;
}

export function dropDraft() {
  try {
    sessionStorage.removeItem(DRAFT_KEY);
  } catch {
    // nothing kept, nothing to drop
  }
}
