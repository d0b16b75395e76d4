/** Screenshots: desktop app windows, browser pages, terminals, chat and phone UIs; light and dark. */
import type { Rng } from '../prng.js';
import { MONO, SANS, hsl, rect, svgDoc, text, textLines, type Rendered } from '../svg.js';

const WORDS = ['File', 'Edit', 'View', 'Insert', 'Format', 'Tools', 'Help', 'Window', 'Settings', 'Project', 'Run', 'Debug', 'Go', 'History', 'Bookmarks'];
const PHRASES = ['Dashboard', 'Inbox', 'Overview', 'Users', 'Security alerts', 'Reports', 'Invoices', 'Deploy pipeline', 'Network settings', 'Firewall rules', 'Search results', 'Recent files', 'Quarterly revenue', 'Event log', 'Sign in', 'Messages'];
const CODE = ['const x = await fetch(url);', 'if (err) return next(err);', 'for i in range(10):', '$ sudo systemctl restart nginx', 'SELECT * FROM users WHERE id = 42;', 'git commit -m "fix build"', 'import numpy as np', 'kubectl get pods -n prod', 'def main():', '  return 0', 'Connection established.', 'PING 10.0.0.1: 56 data bytes'];

interface Theme {
  bg: string;
  panel: string;
  fg: string;
  muted: string;
  accent: string;
  line: string;
}

function theme(rng: Rng): Theme {
  const dark = rng.bool(0.4);
  const hue = rng.int(0, 359);
  const accent = hsl(hue, rng.float(50, 90), rng.float(40, 60));
  return dark
    ? { bg: hsl(hue, rng.float(0, 15), rng.float(8, 18)), panel: hsl(hue, rng.float(0, 15), rng.float(14, 24)), fg: '#e6e6e6', muted: '#8a8a8a', accent, line: '#333' }
    : { bg: hsl(hue, rng.float(0, 10), rng.float(96, 100)), panel: hsl(hue, rng.float(0, 15), rng.float(90, 96)), fg: '#1f1f1f', muted: '#a0a0a0', accent, line: '#ddd' };
}

function windowChrome(rng: Rng, x: number, y: number, w: number, h: number, t: Theme, title: string): { body: string; top: number } {
  let out = rect(x, y, w, h, t.bg, `stroke="${t.line}"`);
  const th = rng.int(28, 40);
  out += rect(x, y, w, th, t.panel);
  const style = rng.int(0, 2);
  if (style === 0) {
    ['#ff5f57', '#febc2e', '#28c840'].forEach((c, i) => (out += `<circle cx="${x + 16 + i * 20}" cy="${y + th / 2}" r="6" fill="${c}"/>`));
  } else {
    ['—', '☐', '✕'].forEach((c, i) => (out += text(x + w - 20 - i * 36, y + th * 0.68, c, { size: 14, fill: t.fg, anchor: 'middle' })));
  }
  out += text(x + w / 2, y + th * 0.66, title, { size: 13, fill: t.fg, anchor: 'middle' });
  let top = y + th;
  if (rng.bool(0.6)) {
    out += rect(x, top, w, 26, t.panel);
    let mx = x + 10;
    for (let i = 0; i < rng.int(4, 8); i++) {
      const word = rng.pick(WORDS);
      out += text(mx, top + 18, word, { size: 13, fill: t.fg });
      mx += word.length * 8 + 18;
    }
    top += 26;
  }
  return { body: out, top };
}

function contentArea(rng: Rng, x: number, y: number, w: number, h: number, t: Theme): string {
  let out = '';
  const kind = rng.int(0, 5);
  if (kind === 0) {
    // terminal / code
    out += rect(x, y, w, h, rng.bool() ? '#1e1e1e' : t.bg);
    const fg = ['#d4d4d4', '#9cdcfe', '#ce9178', '#6a9955', '#c586c0'];
    for (let yy = y + 20, i = 0; yy < y + h - 5; yy += 19, i++) {
      out += text(x + 10, yy, `${String(i + 1).padStart(3)}  ${' '.repeat(rng.int(0, 3) * 2)}${rng.pick(CODE)}`, { size: 14, family: MONO, fill: rng.pick(fg) });
    }
    return out;
  }
  if (kind === 1) {
    // table / spreadsheet
    const cols = rng.int(3, 8);
    const cw = w / cols;
    out += rect(x, y, w, 28, t.panel);
    for (let c = 0; c < cols; c++) out += text(x + c * cw + 6, y + 19, rng.pick(PHRASES).split(' ')[0] ?? 'Col', { size: 13, weight: 'bold', fill: t.fg });
    for (let r = 0, yy = y + 28; yy < y + h; r++, yy += 24) {
      if (r % 2) out += rect(x, yy, w, 24, t.panel, 'opacity="0.5"');
      for (let c = 0; c < cols; c++) out += text(x + c * cw + 6, yy + 17, rng.bool() ? String(rng.int(1, 99999)) : rng.pick(PHRASES), { size: 12, fill: t.fg });
      out += rect(x, yy + 23, w, 1, t.line);
    }
    return out;
  }
  if (kind === 2) {
    // dashboard cards + chart
    const n = rng.int(2, 4);
    const cw = (w - 20 * (n + 1)) / n;
    for (let i = 0; i < n; i++) {
      out += rect(x + 20 + i * (cw + 20), y + 20, cw, 90, t.panel, 'rx="8"');
      out += text(x + 35 + i * (cw + 20), y + 50, rng.pick(PHRASES), { size: 13, fill: t.muted });
      out += text(x + 35 + i * (cw + 20), y + 90, `${rng.int(1, 999)}${rng.pick(['', 'k', '%', ' ms'])}`, { size: 28, weight: 'bold', fill: t.fg });
    }
    const cy = y + 130;
    const ch = h - 150;
    if (ch > 40) {
      out += rect(x + 20, cy, w - 40, ch, t.panel, 'rx="8"');
      let d = `M ${x + 30} ${cy + ch - 20}`;
      for (let xx = x + 30; xx < x + w - 30; xx += 20) d += ` L ${xx} ${cy + 20 + rng.float(0, ch - 40)}`;
      out += `<path d="${d}" stroke="${t.accent}" stroke-width="2.5" fill="none"/>`;
    }
    return out;
  }
  if (kind === 3) {
    // chat / email list
    for (let yy = y + 10; yy < y + h - 40; yy += rng.int(56, 80)) {
      const me = rng.bool(0.4);
      const bw = w * rng.float(0.3, 0.7);
      const bx = me ? x + w - bw - 15 : x + 55;
      if (!me) out += `<circle cx="${x + 28}" cy="${yy + 22}" r="16" fill="${hsl(rng.int(0, 359), 50, 60)}"/>`;
      out += rect(bx, yy, bw, 46, me ? t.accent : t.panel, 'rx="12"');
      out += text(bx + 12, yy + 20, rng.pick(PHRASES) + ' ' + rng.pick(PHRASES).toLowerCase(), { size: 13, fill: me ? '#fff' : t.fg });
      out += text(bx + 12, yy + 38, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')} ${rng.pick(['AM', 'PM'])}`, { size: 11, fill: me ? '#eee' : t.muted });
    }
    return out;
  }
  // document / web page: heading, paragraphs, buttons, form fields
  let yy = y + 40;
  out += text(x + 30, yy, rng.pick(PHRASES), { size: rng.int(22, 34), weight: 'bold', fill: t.fg });
  yy += 30;
  while (yy < y + h - 40) {
    const r = rng.int(0, 3);
    if (r === 0) {
      out += rect(x + 30, yy, rng.int(90, 160), 34, t.accent, 'rx="6"') + text(x + 45, yy + 22, rng.pick(['Submit', 'Save', 'Continue', 'Cancel', 'Sign in', 'Download']), { size: 14, fill: '#fff' });
      yy += 50;
    } else if (r === 1) {
      out += text(x + 30, yy + 14, rng.pick(PHRASES), { size: 13, fill: t.muted }) + rect(x + 30, yy + 20, Math.min(420, w - 60), 32, t.bg, `stroke="${t.line}" rx="4"`);
      yy += 66;
    } else {
      const n = rng.int(2, 6);
      for (let i = 0; i < n && yy < y + h - 20; i++, yy += 20) {
        let line = '';
        while (line.length < (w - 60) / 7.5 - 10) line += rng.pick(PHRASES).toLowerCase() + ' ';
        out += text(x + 30, yy, line.slice(0, Math.floor((w - 60) / 7.2)), { size: 13, fill: t.fg });
      }
      yy += 14;
    }
  }
  return out;
}

export function renderScreenshot(rng: Rng): Rendered {
  const t = theme(rng);
  const form = rng.pick(['desktop', 'desktop', 'window', 'phone']);
  if (form === 'phone') {
    const W = rng.int(360, 430);
    const H = Math.round(W * rng.float(1.9, 2.2));
    let body = rect(0, 0, W, H, t.bg);
    body += rect(0, 0, W, 30, t.panel) + text(18, 21, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')}`, { size: 14, weight: 'bold', fill: t.fg });
    body += rect(W - 50, 10, 30, 12, t.fg, 'rx="3"');
    body += rect(0, 30, W, 56, t.panel) + text(W / 2, 66, rng.pick(PHRASES), { size: 18, weight: 'bold', fill: t.fg, anchor: 'middle' });
    body += contentArea(rng, 0, 86, W, H - 86 - 64, t);
    body += rect(0, H - 64, W, 64, t.panel);
    for (let i = 0; i < 4; i++) body += `<circle cx="${(W / 4) * (i + 0.5)}" cy="${H - 34}" r="11" fill="${i === 0 ? t.accent : t.muted}"/>`;
    return svgDoc(W, H, body);
  }
  const W = rng.pick([1280, 1366, 1440, 1600, 1920, 1024, 800]);
  const H = Math.round(W * rng.pick([9 / 16, 10 / 16, 3 / 4, 0.6, 0.7]));
  let body = '';
  if (form === 'desktop') {
    // wallpaper + taskbar + one or two windows
    const wid = `w${rng.u32()}`;
    body += `<defs><linearGradient id="${wid}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(rng.int(0, 359), 50, rng.float(20, 60))}"/><stop offset="1" stop-color="${hsl(rng.int(0, 359), 50, rng.float(20, 60))}"/></linearGradient></defs>`;
    body += rect(0, 0, W, H, `url(#${wid})`);
    const bar = rng.int(30, 48);
    const atTop = rng.bool(0.4);
    body += rect(0, atTop ? 0 : H - bar, W, bar, rng.bool() ? '#202020' : '#ececec', 'opacity="0.95"');
    for (let i = 0; i < rng.int(4, 10); i++) body += rect(10 + i * (bar + 6), (atTop ? 0 : H - bar) + 5, bar - 10, bar - 10, hsl(rng.int(0, 359), 60, 55), 'rx="4"');
    const nWin = rng.int(1, 2);
    for (let k = 0; k < nWin; k++) {
      const ww = W * rng.float(0.55, 0.95);
      const wh = (H - bar) * rng.float(0.6, 0.95);
      const wx = rng.float(0, W - ww);
      const wy = (atTop ? bar : 0) + rng.float(0, H - bar - wh);
      const chrome = windowChrome(rng, wx, wy, ww, wh, k === nWin - 1 ? t : theme(rng), rng.pick(PHRASES) + ' — ' + rng.pick(['Firefox', 'Files', 'Terminal', 'Mail', 'Editor', 'Settings']));
      body += chrome.body + sidebarAnd(rng, wx, chrome.top, ww, wy + wh - chrome.top, t);
    }
    return svgDoc(W, H, body);
  }
  const chrome = windowChrome(rng, 0, 0, W, H, t, rng.pick(PHRASES));
  body += chrome.body + sidebarAnd(rng, 0, chrome.top, W, H - chrome.top, t);
  return svgDoc(W, H, body);
}

function sidebarAnd(rng: Rng, x: number, y: number, w: number, h: number, t: Theme): string {
  let out = '';
  let cx = x;
  if (rng.bool(0.6)) {
    const sw = Math.min(260, w * rng.float(0.15, 0.28));
    out += rect(x, y, sw, h, t.panel);
    for (let yy = y + 30, i = 0; yy < y + h - 10; yy += 30, i++) {
      if (i === 2) out += rect(x + 6, yy - 20, sw - 12, 28, t.accent, 'rx="5" opacity="0.85"');
      out += rect(x + 14, yy - 13, 14, 14, t.muted, 'rx="3"') + text(x + 36, yy, rng.pick(PHRASES), { size: 13, fill: t.fg });
    }
    cx += sw;
  }
  out += contentArea(rng, cx, y, x + w - cx, h, t);
  if (rng.bool(0.2)) out += textLines(rng, cx + 30, y + h - 80, (x + w - cx) * 0.6, 18, 3, t.muted);
  return out;
}
