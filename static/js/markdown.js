// Markdown to sanitized HTML. Model output is untrusted: marked renders, DOMPurify removes anything active
// (scripts, event handlers, javascript: URLs) before it reaches the page.
import { Marked } from "/static/vendor/marked/marked.esm.js";
import DOMPurify from "/static/vendor/dompurify/purify.es.mjs";

const marked = new Marked({ gfm: true, breaks: true, async: false });

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  // Links open in a new tab and never hand the page to the target.
  if (node.tagName === "A" && node.getAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

export function markdownToHtml(text) {
  const html = marked.parse(text || "");
  return DOMPurify.sanitize(html, { FORBID_TAGS: ["style", "form", "input", "button"], FORBID_ATTR: ["style"] });
}

/** Render Markdown into `el`, adding a copy button to each code block. */
export function renderMarkdown(el, text) {
  el.innerHTML = markdownToHtml(text);
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
