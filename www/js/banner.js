// The message banner (role=alert): every error the page meets is shown
// here, in words, and the page stays usable underneath.

const banner = () => document.getElementById('banner');

/**
 * showError shows an error: a {code, message, details} object from the
 * worker, an Error, or a string.
 */
export function showError(error, title = 'Problem:') {
  show(error, title, 'error');
}

/** showWarning shows something worth knowing that did not stop the work. */
export function showWarning(error, title = 'Note:') {
  show(error, title, 'warning');
}

function show(error, title, level) {
  const b = banner();
  const message = typeof error === 'string' ? error : (error && error.message) || String(error);
  b.classList.toggle('warning', level === 'warning');
  b.dataset.code = (error && error.code) || '';
  document.getElementById('banner-title').textContent = title;
  document.getElementById('banner-message').textContent = message;
  const list = document.getElementById('banner-details');
  list.replaceChildren(...((error && error.details) || []).map((d) => {
    const li = document.createElement('li');
    li.textContent = d;
    return li;
  }));
  b.hidden = false;
}

/** clearBanner hides the banner. */
export function clearBanner() {
  banner().hidden = true;
  banner().dataset.code = '';
}

/** setStatus shows a short progress note (role=status). */
export function setStatus(text) {
  document.getElementById('status').textContent = text || '';
}
