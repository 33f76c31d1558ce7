// "Copy" beside a read-only link: a button with data-copy (the input's selector) puts the link
// on the clipboard and says so in data-copied's element. Separate from run.js so a page that
// shares a link needs only this.

import { gettext } from "./i18n.js";

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copy);
    const state = document.querySelector(button.dataset.copied);
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      // No clipboard permission (plain http on another host): select it for Ctrl+C.
      input.select();
      document.execCommand("copy");
    }
    if (state) state.textContent = `${gettext("Copied")} ✓`;
  });
}
