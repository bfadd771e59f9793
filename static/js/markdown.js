// Markdown to sanitized HTML. Model output is untrusted: marked renders, DOMPurify removes anything active
// (scripts, event handlers, javascript: URLs) before it reaches the page.
import { Marked } from "/static/vendor/marked/marked.esm.js";
import DOMPurify from "/static/vendor/dompurify/purify.es.mjs";

const marked = new Marked({ gfm: true, breaks: true, async: false });

function isRemote(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol !== "data:" && parsed.origin !== location.origin;
  } catch {
    return true;
  }
}

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  // Links open in a new tab and never hand the page to the target.
  if (node.tagName === "A" && node.getAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  // A model's answer must not make the browser fetch from elsewhere (a tracking pixel, a leak of what was
  // read): remote images become links, drawn by renderMarkdown.
  if (node.tagName === "IMG" && node.getAttribute("src") && isRemote(node.getAttribute("src"))) {
    node.setAttribute("data-remote-src", node.getAttribute("src"));
    node.removeAttribute("src");
    node.removeAttribute("srcset");
  }
});

export function markdownToHtml(text) {
  const html = marked.parse(text || "");
  return DOMPurify.sanitize(html, { FORBID_TAGS: ["style", "form", "input", "button"], FORBID_ATTR: ["style"] });
}

/** Render Markdown into `el`: remote images as links, a copy button on each code block. */
export function renderMarkdown(el, text) {
  el.innerHTML = markdownToHtml(text);
  for (const img of el.querySelectorAll("img[data-remote-src]")) {
    const link = document.createElement("a");
    link.href = img.dataset.remoteSrc;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.className = "remote-image";
    link.textContent = `Image: ${img.alt || img.dataset.remoteSrc}`;
    img.replaceWith(link);
  }
  for (const pre of el.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const lang = [...(code?.classList || [])].find((c) => c.startsWith("language-"));
    pre.classList.add("code-block");
    if (lang) pre.dataset.lang = lang.slice("language-".length);
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-code";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy code");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code ? code.textContent : pre.textContent);
        copy.textContent = "Copied";
      } catch {
        copy.textContent = "Copy failed";
      }
      setTimeout(() => (copy.textContent = "Copy"), 1500);
    });
    pre.append(copy);
  }
}
