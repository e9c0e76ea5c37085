// Opening other files from the page: a model (.h5, .keras, or model.json with its weights),
// inputs x and labels y (.npy), by file picker or drag and drop. The files go only to the local
// convscope server; its errors are the CLI's, shown here.

import { ApiError } from '../api.js';
import { byId, h, replace } from '../dom.js';

type Role = 'model' | 'x' | 'y';

/** A first guess of what a file is, from its name: arrays named like labels are y, other arrays x. */
export function guessRole(name: string): Role {
  const lower = name.toLowerCase();
  if (!lower.endsWith('.npy')) return 'model';
  const stem = lower.slice(0, -4);
  return /(^|[_\-. ])(y|labels?|targets?|classes)$/.test(stem) || /^(y|labels?)([_\-. ]|$)/.test(stem) ? 'y' : 'x';
}

/** Wires the open dialog and page-wide drag and drop. */
export function initOpenPanel(maxBytes: number, onOpened: () => void): void {
  const dialog = byId<HTMLDialogElement>('open-dialog');
  const input = byId<HTMLInputElement>('open-input');
  const list = byId('open-list');
  const error = byId('open-error');
  const submit = byId<HTMLButtonElement>('open-submit');
  const overlay = byId('drop-overlay');
  let chosen: { file: File; role: Role }[] = [];

  function add(files: FileList | File[]): void {
    for (const f of Array.from(files)) if (!chosen.some((c) => c.file === f)) chosen.push({ file: f, role: guessRole(f.name) });
    render();
  }

  function render(): void {
    replace(
      list,
      ...chosen.map((c, k) => {
        const sel = h('select', { 'aria-label': `Use ${c.file.name} as` }, h('option', { value: 'model' }, 'model / weights'), h('option', { value: 'x' }, 'inputs (x)'), h('option', { value: 'y' }, 'labels (y)'));
        sel.value = c.role;
        sel.addEventListener('change', () => (c.role = sel.value as Role));
        const remove = h('button', { type: 'button', class: 'button icon', 'aria-label': `Remove ${c.file.name}` }, '×');
        remove.addEventListener('click', () => {
          chosen.splice(k, 1);
          render();
        });
        return h('li', {}, h('span', { class: 'fname' }, c.file.name), h('span', { class: 'muted mono' }, `${(c.file.size / 1024).toFixed(1)} KiB`), sel, remove);
      }),
    );
    submit.disabled = chosen.length === 0;
  }

  function show(): void {
    error.hidden = true;
    render();
    if (!dialog.open) dialog.showModal();
  }

  byId('open-button').addEventListener('click', show);
  byId('open-cancel').addEventListener('click', () => {
    chosen = [];
    dialog.close();
  });
  input.addEventListener('change', () => {
    if (input.files !== null) add(input.files);
    input.value = '';
  });
  const zone = byId('dropzone');
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });

  byId<HTMLFormElement>('open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      const total = chosen.reduce((s, c) => s + c.file.size, 0);
      if (total > maxBytes) {
        error.hidden = false;
        error.textContent = `LimitError [LIMIT_EXCEEDED]: these files are ${total} bytes, over the dashboard's limit of ${maxBytes} bytes.`;
        return;
      }
      const q = new URLSearchParams();
      for (const c of chosen) q.append('f', `${c.role}:${c.file.size}:${c.file.name}`);
      const classes = byId<HTMLInputElement>('open-classes').value.trim();
      if (classes !== '') q.set('classes', classes);
      submit.disabled = true;
      submit.textContent = 'Opening…';
      try {
        const res = await fetch(`/api/open?${q.toString()}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Blob(chosen.map((c) => c.file)) });
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { error?: { name: string; code: string; message: string } };
          const e2 = body.error;
          throw new ApiError(res.status, e2?.name ?? 'HttpError', e2?.code ?? String(res.status), e2?.message ?? res.statusText);
        }
        chosen = [];
        dialog.close();
        onOpened();
      } catch (err) {
        error.hidden = false;
        error.textContent = err instanceof ApiError ? err.text : String(err);
      } finally {
        submit.disabled = chosen.length === 0;
        submit.textContent = 'Open';
      }
    })();
  });

  // Drag and drop anywhere on the page.
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  window.addEventListener('drop', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    add(e.dataTransfer.files);
    show();
  });
}
