// Save text as a file the way a browser downloads one (a temporary object URL on a link).
export function downloadText(name: string, text: string, type: string): void {
  download(name, new Blob([text], { type }));
}

export function downloadBytes(name: string, bytes: Uint8Array, type: string): void {
  download(name, new Blob([bytes as BlobPart], { type }));
}

function download(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked a moment later: the download has taken the blob by then.
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
