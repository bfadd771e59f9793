// The message box: Enter sends, Shift+Enter breaks the line; images (attached or pasted) go as base64 in the
// message, other files are uploaded first (with a progress bar) and sent by reference.
import { uploadFile } from "./api.js";
import { h } from "./dom.js";
import { bytes } from "./format.js";
import { icon } from "./icons.js";

const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export class Composer {
  /**
   * @param {object} els  form, input, send, stop, attach, fileInput, attachments
   * @param {{onSend({content, images, files}): boolean, onStop()}} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    this.sessionId = null;
    this.busy = false;
    this.loading = false;
    this.items = []; // {kind: "image"|"file", el, dataUrl?, file?, stored?, uploading?, failed?}
    els.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    els.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    els.input.addEventListener("input", () => this.update());
    els.input.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])];
      if (files.length) {
        event.preventDefault();
        this.addFiles(files);
      }
    });
    els.stop.addEventListener("click", () => hooks.onStop());
    els.attach.addEventListener("click", () => els.fileInput.click());
    els.fileInput.addEventListener("change", () => {
      this.addFiles([...els.fileInput.files]);
      els.fileInput.value = "";
    });
    // Files dropped anywhere on the conversation are attached too.
    els.dropZone.addEventListener("dragover", (event) => {
      if (this.sessionId && event.dataTransfer?.types.includes("Files")) event.preventDefault();
    });
    els.dropZone.addEventListener("drop", (event) => {
      if (!this.sessionId || !event.dataTransfer?.files.length) return;
      event.preventDefault();
      this.addFiles([...event.dataTransfer.files]);
    });
    this.update();
  }

  setSession(sessionId) {
    this.sessionId = sessionId;
    this.clearAttachments();
    this.els.input.value = "";
    this.update();
  }

  /** What is typed and not sent yet (kept across a sign-in; attachments are not). */
  get draft() {
    return this.els.input.value;
  }

  /** Put a kept draft back, after setSession (which empties the box). */
  restoreDraft(text) {
    this.els.input.value = text;
    this.update();
  }

  setBusy(busy) {
    this.busy = busy;
    const hadFocus = document.activeElement === this.els.input || document.activeElement === this.els.stop;
    this.els.stop.hidden = !busy;
    this.update();
    if (hadFocus) (busy ? this.els.stop : this.els.input).focus();
  }

  /** While a session's history loads, nothing can be sent yet (the Stop button stays as it is). */
  setLoading(loading) {
    this.loading = loading;
    this.update();
  }

  update() {
    const noSession = !this.sessionId || this.loading;
    const uploading = this.items.some((item) => item.uploading);
    this.els.input.disabled = noSession || this.busy;
    this.els.attach.disabled = noSession;
    this.els.send.disabled = noSession || this.busy || uploading || !this.els.input.value.trim();
    this.els.send.title = uploading ? "Waiting for uploads to finish" : "";
    if (this.focusWhenOpen && !this.els.input.disabled) {
      this.focusWhenOpen = false;
      this.els.input.focus();
    }
    this.els.input.style.height = "auto";
    this.els.input.style.height = `${Math.min(this.els.input.scrollHeight, 240)}px`;
  }

  /** Focus the box now, or as soon as it opens (a session that is still loading). */
  focus() {
    this.focusWhenOpen = this.els.input.disabled;
    if (!this.els.input.disabled) this.els.input.focus();
  }

  submit() {
    if (this.els.send.disabled) return;
    const content = this.els.input.value.trim();
    const images = this.items.filter((i) => i.kind === "image").map((i) => i.dataUrl);
    const files = this.items.filter((i) => i.kind === "file" && i.stored).map((i) => ({ name: i.stored.name, size: i.stored.size, path: i.stored.path }));
    if (!this.hooks.onSend({ content, images, files })) return;
    this.els.input.value = "";
    this.clearAttachments();
    this.update();
  }

  // --- attachments ----------------------------------------------------------------------------------------
  addFiles(files) {
    for (const file of files) {
      if (file.type.startsWith("image/")) this.addImage(file);
      else this.addUpload(file);
    }
  }

  async addImage(file) {
    const item = { kind: "image" };
    const remove = this.removeButton(item, file.name);
    item.el = h("div.attachment.image", { title: file.name }, remove);
    this.push(item);
    if (file.size > MAX_IMAGE_BYTES) return this.fail(item, `"${file.name}" is too large to send as an image (${bytes(file.size)}).`);
    try {
      item.dataUrl = await readAsDataUrl(file);
    } catch {
      return this.fail(item, `Could not read "${file.name}".`);
    }
    item.el.prepend(h("img.thumb", { src: item.dataUrl, alt: `Image ${file.name}` }));
  }

  async addUpload(file) {
    const item = { kind: "file", file, uploading: true };
    const bar = h("progress.upload-progress", { max: 1, value: 0, "aria-label": `Uploading ${file.name}` });
    const label = h("span.attachment-name", { text: `${file.name} (${bytes(file.size)})` });
    item.el = h("div.attachment.file.uploading", {}, h("span.file-icon", {}, icon("file", 16)), label, bar, this.removeButton(item, file.name));
    this.push(item);
    try {
      item.stored = await uploadFile(this.sessionId, file, (fraction) => (bar.value = fraction));
      bar.value = 1;
      bar.remove();
      item.el.classList.replace("uploading", "uploaded");
    } catch (error) {
      bar.remove();
      this.fail(item, error.message);
    } finally {
      item.uploading = false;
      this.update();
    }
  }

  push(item) {
    this.items.push(item);
    this.els.attachments.append(item.el);
    this.update();
  }

  fail(item, message) {
    item.failed = true;
    item.kind = "failed";
    item.el.classList.add("failed");
    item.el.querySelector(".thumb")?.remove();
    item.el.insertBefore(h("span.attachment-error", { role: "alert", text: message }), item.el.lastChild);
  }

  removeButton(item, name) {
    return h("button.icon-button.remove-attachment", {
      type: "button",
      "aria-label": `Remove ${name}`,
      text: "×",
      onclick: () => {
        item.el.remove();
        this.items = this.items.filter((i) => i !== item);
        this.update();
        this.focus();
      },
    });
  }

  clearAttachments() {
    this.items = [];
    this.els.attachments.replaceChildren();
  }
}
