// Navi's web client: wires the sidebar, the conversation and the message box together.
import { api, onUnauthorized, signInEnded } from "./api.js";
import { SIGN_IN_TEXT, authMode, currentUser, draftFor, dropDraft, saveDraft, savedDraft, showSignIn, showUnknown, showUser } from "./auth.js";
import { $, h } from "./dom.js";
import { count } from "./format.js";
import { ChatView } from "./chat.js";
import { Composer } from "./composer.js";
import { Sidebar, sessionTitle } from "./sidebar.js";
import { toolLabel } from "./cards.js";

const app = $("#app");
const banner = { el: $("#banner"), text: $("#banner-text") };
const profiles = new Map();
const tools = new Map(); // name -> {name, description}, from GET /agents/tools
let currentId = null;
let currentSession = null;
let user = null; // who /auth/me says is signed in

// --- errors: shown in place, never a blank page ----------------------------------------------------------
function showBanner(message) {
  banner.text.textContent = message;
  banner.el.hidden = false;
}
// (The banner's close button is wired by boot.js, which works even when this module does not load.)
window.addEventListener("error", (event) => showBanner(`Something went wrong: ${event.message}`));
window.addEventListener("unhandledrejection", (event) => showBanner(`Something went wrong: ${event.reason?.message || event.reason}`));

// --- header: title, profile, context gauge, connection ---------------------------------------------------
function setTitle(text) {
  $("#session-title").textContent = text;
  document.title = text === "Navi" ? "Navi" : `${text} · Navi`;
}

function setProfile(profileId, profileName) {
  const badge = $("#profile-badge");
  badge.hidden = !profileId;
  badge.textContent = profileName || profiles.get(profileId)?.name || profileId || "";
  badge.dataset.profile = profileId || "";
}

function setContext(tokens, max) {
  const gauge = $("#context-gauge");
  if (!max) {
    gauge.hidden = true;
    return;
  }
  const percent = Math.min(100, Math.round(((tokens || 0) / max) * 100));
  gauge.hidden = false;
  gauge.setAttribute("aria-valuenow", String(percent));
  gauge.dataset.level = percent >= 80 ? "high" : percent >= 60 ? "mid" : "low";
  gauge.title = `Context: ${count(tokens)} of ${count(max)} tokens (${percent}%). At 80% older turns are summarized.`;
  $("#gauge-fill").style.width = `${percent}%`;
  $("#gauge-text").textContent = `${percent}% · ${count(tokens)} / ${count(max)}`;
}

function setConnection(state, detail) {
  const el = $("#connection");
  el.dataset.state = state;
  el.textContent = { open: "", connecting: "Connecting…", reconnecting: detail || "Reconnecting…" }[state] ?? "";
}

// --- the conversation ------------------------------------------------------------------------------------
const composer = new Composer(
  {
    form: $("#composer"),
    input: $("#composer-input"),
    send: $("#send-button"),
    stop: $("#stop-button"),
    attach: $("#attach-button"),
    fileInput: $("#file-input"),
    attachments: $("#attachments"),
    dropZone: $("#chat"),
  },
  {
    onSend: (message) => chat.send(message),
    onStop: () => chat.stop(),
  },
);

const chat = new ChatView($("#messages"), {
  onBusy: (busy) => {
    composer.setBusy(busy);
    app.dataset.busy = String(busy);
  },
  onLoading: (loading) => composer.setLoading(loading),
  onSession: (session) => {
    currentSession = session;
    setTitle(session.name || sidebar.get(session.session_id)?.preview || "New session");
    setProfile(session.profile_id);
  },
  onRunEnd: () => afterExchange(),
  onGone: (id) => {
    if (id !== currentId) return;
    showBanner("This session no longer exists.");
    sidebar.refresh();
    openSession(null);
  },
  onConnection: setConnection,
  onProfile: setProfile,
  onContext: setContext,
});

/** After an answer: the sidebar shows new activity, and a session's first exchange gives it a name. */
async function afterExchange() {
  const id = currentId;
  if (currentSession && !currentSession.name) {
    try {
      const { name } = await api.generateName(id);
      if (name && id === currentId) {
        currentSession.name = name;
        setTitle(name);
      }
    } catch {
      // Naming is a nicety: a server without it (404) or a failed attempt leaves the preview as the title.
    }
  }
  await sidebar.refresh();
  if (id === currentId && !currentSession?.name) setTitle(sessionTitle(sidebar.get(id) || {}));
}

function openSession(id) {
  currentId = id;
  currentSession = null;
  sidebar.setCurrent(id);
  composer.setSession(id);
  setContext(0, 0);
  if (!id) {
    chat.close();
    setTitle("Navi");
    setProfile(null);
    setConnection("open");
    $("#messages").replaceChildren(welcome);
    if (location.hash) history.replaceState(null, "", location.pathname);
    return;
  }
  if (location.hash !== `#/sessions/${id}`) location.hash = `#/sessions/${id}`;
  setTitle(sessionTitle(sidebar.get(id) || {}));
  chat.open(id);
  closeSidebar();
  composer.focus();
}

function sessionFromHash() {
  const match = location.hash.match(/^#\/sessions\/([\w-]+)$/);
  return match ? match[1] : null;
}
window.addEventListener("hashchange", () => {
  const id = sessionFromHash();
  if (id !== currentId) openSession(id);
});

// --- the sidebar -----------------------------------------------------------------------------------------
const sidebar = new Sidebar(
  { list: $("#session-list"), empty: $("#session-empty"), search: $("#session-search") },
  {
    onSelect: (id) => (id === currentId ? closeSidebar() : openSession(id)),
    onDeleteConfirm: confirmDelete,
    onDeleted: (id) => {
      if (id === currentId) openSession(null);
    },
    onError: showBanner,
  },
);
sidebar.profiles = profiles;

function confirmDelete(session) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = `"${sessionTitle(session)}" and its files will be deleted. This cannot be undone.`;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true }));
}

// A profile's tools, MCP ones (`<server>__<tool>`) under their server's name, each with its description.
function toolList(names) {
  if (!names.length) return null;
  const items = names.map((name) => {
    const info = tools.get(name);
    return h("li", { title: info?.description || "" }, toolLabel(name));
  });
  return h("ul.profile-tools", { "aria-label": "Tools" }, ...items);
}

// New session: pick a profile, create, open.
const newDialog = $("#new-session-dialog");
$("#new-session").addEventListener("click", async () => {
  const list = $("#profile-list");
  const error = $("#new-session-error");
  error.hidden = true;
  if (!profiles.size) await loadProfiles();
  const options = [...profiles.values()];
  list.replaceChildren(
    ...options.map((p, i) =>
      h(
        "label.profile-option",
        {},
        h("input", { type: "radio", name: "profile", value: p.id, checked: i === 0 }),
        h(
          "span.profile-text",
          {},
          h("strong", { text: p.name }),
          h("span.profile-desc", { text: p.description || "" }),
          h("span.profile-model", { text: p.model || "" }),
          toolList(p.enabled_tools || []),
          // What the model cannot do, said before the first message rather than after it fails.
          p.warning ? h("span.profile-warning", { role: "note", text: p.warning }) : null,
        ),
      ),
    ),
  );
  if (!options.length) {
    error.textContent = "No agent profiles are available.";
    error.hidden = false;
  }
  $("#new-session-create").disabled = !options.length;
  newDialog.showModal();
  list.querySelector("input:checked")?.focus();
});
$("#new-session-cancel").addEventListener("click", () => newDialog.close());
$("#new-session-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const choice = new FormData(event.target).get("profile");
  if (!choice) return;
  const error = $("#new-session-error");
  try {
    const created = await api.createSession(choice);
    newDialog.close();
    await sidebar.refresh();
    openSession(created.session_id);
  } catch (err) {
    error.textContent = `Could not create the session: ${err.message}`;
    error.hidden = false;
  }
});

async function loadProfiles() {
  try {
    const [profileList, toolInfo] = await Promise.all([api.profiles(), api.tools().catch(() => [])]);
    for (const profile of profileList) profiles.set(profile.id, profile);
    for (const tool of toolInfo) tools.set(tool.name, tool);
  } catch (error) {
    showBanner(`Could not load agent profiles: ${error.message}`);
  }
}

// --- the sidebar on a small screen -----------------------------------------------------------------------
const menuToggle = $("#menu-toggle");
function setSidebar(open) {
  app.dataset.sidebar = open ? "open" : "closed";
  menuToggle.setAttribute("aria-expanded", String(open));
  $("#scrim").hidden = !open;
  if (open) $("#session-search").focus();
}
function closeSidebar() {
  if (app.dataset.sidebar === "open") {
    setSidebar(false);
    menuToggle.focus();
  }
}
menuToggle.addEventListener("click", () => setSidebar(app.dataset.sidebar !== "open"));
$("#scrim").addEventListener("click", closeSidebar);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && app.dataset.sidebar === "open") closeSidebar();
  // Ctrl/Cmd+K: jump to session search.
  if (event.key === "k" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (getComputedStyle(menuToggle).display !== "none") setSidebar(true);
    $("#session-search").focus();
  }
});

// Back online: reconnect now rather than at the end of the current backoff.
window.addEventListener("online", () => chat.socket?.retryNow());

// --- signing in and out ----------------------------------------------------------------------------------
const signedOut = () => document.body.dataset.authState === "signed-out";

/** Swap the app for the sign-in screen, leaving nothing of the previous user's on the page. */
function leaveApp(text) {
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  if (app.dataset.sidebar === "open") setSidebar(false);
  openSession(null); // closes the socket, empties the conversation and the box
  sidebar.sessions = [];
  sidebar.render();
  user = null;
  showSignIn(text);
}

// A REST call answered 401 or the socket closed with 4001: the sign-in ended (logout in another tab, expiry,
// the account removed). Keep what was typed and where, for after the next sign-in, which reloads the page.
onUnauthorized(() => {
  if (signedOut()) return; // once, however many calls fail together
  const text = composer.draft;
  if (currentId || text.trim()) saveDraft({ userId: user?.id, sessionId: currentId, text });
  leaveApp(text.trim() ? SIGN_IN_TEXT.endedWithDraft : SIGN_IN_TEXT.ended);
});

$("#sign-out").addEventListener("click", async () => {
  const button = $("#sign-out");
  const openId = currentId;
  button.disabled = true;
  // Closed first: the server ends this socket with 4001 at logout, which must not read as "sign-in ended".
  chat.close();
  try {
    await api.logout();
  } catch (error) {
    if (error.status !== 401) {
      // Still signed in: stay, and reconnect what was open.
      button.disabled = false;
      showBanner(`Could not sign out: ${error.message}`);
      if (openId) chat.open(openId);
      return;
    }
    // 401: the sign-in had ended already, which is what was asked.
  }
  button.disabled = false;
  dropDraft(); // signing out on purpose leaves nothing behind in this tab
  leaveApp(SIGN_IN_TEXT.signedOut);
});

// Back to a tab that sat in the background: if the sign-in ended meanwhile, say so now rather than at the
// next click (an open session's socket would tell anyway; the start page has none).
document.addEventListener("visibilitychange", async () => {
  if (authMode !== "oauth" || document.visibilityState !== "visible" || document.body.dataset.authState !== "signed-in") return;
  if ((await currentUser().catch(() => user)) === null) signInEnded();
});

/** Ask who is signed in; false when nobody is (the sign-in screen is up then). */
async function signIn() {
  try {
    user = await currentUser();
  } catch (error) {
    // Server down or failing: show the app anyway; its own calls say what is wrong.
    showUnknown();
    showBanner(`Could not check who is signed in: ${error.message}`);
    return true;
  }
  if (!user) {
    // A draft in this tab means the sign-in ended mid-use (and this is a reload of the sign-in screen).
    const draft = savedDraft();
    showSignIn(!draft ? SIGN_IN_TEXT.start : draft.text.trim() ? SIGN_IN_TEXT.endedWithDraft : SIGN_IN_TEXT.ended);
    return false;
  }
  showUser(user);
  return true;
}

/** Open the session the URL names; after a sign-in that had ended mid-use, the one that was open, with the
 *  text that was in the box put back. */
function openFirstSession() {
  const draft = draftFor(user?.id);
  const id = sessionFromHash() || draft?.sessionId || null;
  openSession(id);
  if (draft?.text) composer.restoreDraft(draft.text);
  dropDraft();
}

// --- start -----------------------------------------------------------------------------------------------
const welcome = $("#welcome");
if (await signIn()) {
  await Promise.all([loadProfiles(), sidebar.refresh()]);
  if (!signedOut()) {
    sidebar.render();
    openFirstSession();
    app.dataset.ready = "true";
  }
}
// A handle for the browser console (and the browser tests): the live objects of the page.
window.navi = { chat, sidebar, composer, openSession };
