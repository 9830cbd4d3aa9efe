/** The dashboard's stylesheet and script, served from memory (no build step, no CDN; CSP allows only these). */
export const APP_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f2937;color:#fff}header a{color:#cbd5e1;text-decoration:none}
header a.on,header a:hover{color:#fff}.brand{font-weight:700;color:#fff!important}nav{display:flex;gap:1em}.lookup{margin-left:auto}
.ro{background:#b45309;color:#fff;padding:.1em .5em;border-radius:3px}main{padding:1em 1.5em;max-width:1400px}h1{font-size:1.4em;margin:.3em 0 .6em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#eef0f3;font-weight:600}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
pre{background:#fff;border:1px solid #e5e7eb;padding:.6em}.tiles{display:flex;flex-wrap:wrap;gap:.8em;margin-bottom:1em}
.tile{background:#fff;border:1px solid #e5e7eb;padding:.6em 1em;min-width:8em}.tile b{display:block;font-size:1.5em}.tile span{color:#6b7280}
.chart{background:#fff;border:1px solid #e5e7eb;margin:0 0 1em;padding:.5em}.chart svg{width:100%;max-width:900px;height:auto}
.key.processed{color:#2a6fdb}.key.failed{color:#d33}form.inline{display:inline}button{cursor:pointer}.flash{background:#ecfdf5;border:1px solid #6ee7b7;padding:.5em}
.warn{color:#b45309}.busy{color:#15803d}.empty,.note{color:#6b7280}.filters label{margin-right:.6em}dl{display:grid;grid-template-columns:10em 1fr;gap:.3em}
dd{margin:0}.pager{display:flex;gap:1em}.kind{font-size:.85em;padding:0 .4em;border-radius:3px;background:#e5e7eb}
`;

export const APP_JS = `
document.addEventListener('submit', function (e) {
  var msg = e.target && e.target.getAttribute && e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) e.preventDefault();
});
(function () {
  var box = document.getElementById('live');
  if (!box || !document.body.hasAttribute('data-live')) return;
  box.checked = localStorage.getItem('resque-live') === '1';
  box.addEventListener('change', function () { localStorage.setItem('resque-live', box.checked ? '1' : '0'); if (box.checked) location.reload(); });
  setInterval(function () { if (box.checked) location.reload(); }, 5000);
})();
`;
