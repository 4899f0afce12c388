// Save text as a file the way a browser downloads one (a temporary object URL on a link).
export function downloadText(name: string, text: string, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked a moment later: the download has taken the blob by then.
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
