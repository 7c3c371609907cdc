// Hitch dashboard: the little script the server-rendered pages use.
'use strict';

// A form marked data-keep-input is posted in the background. When the answer is the same form again (a test
// result, field errors, a stale edit), only the parts marked data-region are replaced, so everything typed stays
// in its input, secrets too, without the server ever sending a secret back. Any other answer replaces the page.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-keep-input')) return;
  event.preventDefault();
  const body = new URLSearchParams(new FormData(form, event.submitter));
  const buttons = form.querySelectorAll('button');
  buttons.forEach((button) => { button.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(form.getAttribute('action'), { method: 'POST', body, credentials: 'same-origin' });
    if (response.redirected) {
      window.location.assign(response.url);
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    if (!page.getElementById(form.id)) {
      document.title = page.title;
      document.body.replaceWith(document.adoptNode(page.body));
      return;
    }
    document.querySelectorAll('[data-region]').forEach((region) => {
      const answer = page.getElementById(region.id);
      if (answer) region.innerHTML = answer.innerHTML;
    });
    const firstError = form.querySelector('.field-error:not(:empty)');
    const input = firstError && firstError.parentElement.querySelector('input, select, textarea');
    if (input) input.focus();
  } catch (error) {
    const message = document.getElementById('form-message');
    if (message) message.textContent = 'Hitch could not be reached: nothing was saved. Try again.';
  } finally {
    form.removeAttribute('aria-busy');
    buttons.forEach((button) => { button.disabled = false; });
  }
});

// Copy buttons: copy the text of the element their data-copy names.
document.addEventListener('click', async (event) => {
  const button = event.target.closest && event.target.closest('button[data-copy]');
  if (!button) return;
  const source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent);
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand('copy');
  }
  button.textContent = 'Copied';
});

// A file input marked data-fill reads the chosen file (a service account's JSON key) into the textarea it names,
// in the browser: the form still posts the text, and the file never leaves the page any other way.
document.addEventListener('change', async (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.hasAttribute('data-fill')) return;
  const target = document.getElementById(input.getAttribute('data-fill'));
  const file = input.files && input.files[0];
  if (!target || !file) return;
  if (file.size > 16384) {
    const error = document.getElementById('e-' + target.id);
    if (error) error.textContent = 'That file is larger than a key file can be (16 KiB).';
    input.value = '';
    return;
  }
  // The file input has no name, so only the textarea's text is posted.
  target.value = await file.text();
});
