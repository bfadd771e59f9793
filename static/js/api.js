// The REST API. Every failure becomes an ApiError carrying the server's message and HTTP status.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.detail || body.error || body.message || JSON.stringify(body);
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

// A 401 means the sign-in ended (logout elsewhere, expiry, the account removed): every caller would fail the
// same way, so one handler (the app's) swaps the page for the sign-in screen instead of each showing an error.
let unauthorizedHandler = () => {};

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export function signInEnded() {
  unauthorizedHandler();
}

/** `own401`: the caller handles a 401 itself (the sign-in check, sign-out), so it is not a sign-in that ended. */
async function request(method, path, body, { own401 = false } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("The server cannot be reached.", 0);
  }
  if (response.status === 401 && !own401) signInEnded();
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  me: () => request("GET", "/auth/me", undefined, { own401: true }),
  logout: () => request("POST", "/auth/logout", {}, { own401: true }),
  profiles: () => request("GET", "/agents/profiles"),
  tools: () => request("GET", "/agents/tools"),
  sessions: () => request("GET", "/sessions"),
  session: (id) => request("GET", `/sessions/${id}`),
  createSession: (profileId) => request("POST", "/sessions", { profile_id: profileId }),
  deleteSession: (id) => request("DELETE", `/sessions/${id}`),
  pin: (id, pinned) => request("PATCH", `/sessions/${id}/pin`, { pinned }),
  stop: (id) => request("POST", `/sessions/${id}/stop`),
  generateName: (id) => request("POST", `/sessions/${id}/generate-name`),
};

/**
 * Upload one file with progress (fetch cannot report upload progress; XMLHttpRequest can).
 * Resolves with the stored file ({name, size, path, content_type}); rejects with an ApiError whose message says
 * what went wrong (a blocked type answers 400, a file over the limit 413).
 */
export function uploadFile(sessionId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/sessions/${sessionId}/files`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201 || xhr.status === 200) return resolve(xhr.response);
      if (xhr.status === 401) signInEnded();
      const detail = xhr.response?.detail || xhr.response?.error || xhr.response?.message;
      let message;
      if (xhr.status === 413) message = `"${file.name}" is too large${detail ? `: ${detail}` : "."}`;
      else if (xhr.status === 400) message = `"${file.name}" cannot be uploaded${detail ? `: ${detail}` : " (blocked file type)."}`;
      else if (xhr.status === 404) message = `Uploads are not available for this session${detail ? `: ${detail}` : "."}`;
      else message = `Upload of "${file.name}" failed${detail ? `: ${detail}` : ` (HTTP ${xhr.status})`}`;
      reject(new ApiError(message, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new ApiError(`Upload of "${file.name}" failed: network error.`, 0)));
    xhr.addEventListener("abort", () => reject(new ApiError(`Upload of "${file.name}" was cancelled.`, 0)));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}
