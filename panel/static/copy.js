// Copy buttons: a button with data-copy="ID" copies the text of the element ID. Hidden until
// this script runs, since without it (or without the clipboard) they could do nothing.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = button.dataset.copied;
    } catch {
      window.getSelection().selectAllChildren(source);
    }
  });
});
