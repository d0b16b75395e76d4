/**
 * Screenshots: full desktops (wallpaper, icons, taskbar, windows) and single app windows — browser pages, terminals,
 * code, spreadsheets, dashboards, chat, mail, settings, file managers/galleries (photo thumbnails), maps — and phone
 * UIs (9:19.5 and other aspects: apps, home and lock screens over a wallpaper, feeds, galleries); light and dark.
 * Photo slots are filled with real Debian photos by the generator.
 */
import type { Rng } from '../prng.js';
import { MONO, SANS, hsl, photoPlaceholder, photoSlot, rect, svgDoc, text, textLines, type PhotoSlot, type Rendered, type RenderOpts } from '../svg.js';

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

interface Ctx {
  slots: PhotoSlot[];
  opts: RenderOpts;
}

/** A photo slot (and, without real photos, a drawn placeholder in it). */
function photo(rng: Rng, ctx: Ctx, x: number, y: number, w: number, h: number, r = 0): string {
  ctx.slots.push(photoSlot(rng, x, y, w, h, 0.25, r));
  return ctx.opts.photos ? '' : photoPlaceholder(rng, x, y, w, h);
}

function contentArea(rng: Rng, x: number, y: number, w: number, h: number, t: Theme, ctx: Ctx): string {
  let out = '';
  const kind = rng.int(0, 10);
  if (kind === 6) {
    // photo gallery / file manager with thumbnails
    const cols = Math.max(2, Math.round(w / rng.float(110, 220)));
    const g = rng.float(4, 14);
    const cw = (w - g * (cols + 1)) / cols;
    const ch = cw * rng.pick([1, 0.75]);
    const labels = rng.bool(0.5);
    for (let yy = y + g; yy + ch < y + h; yy += ch + g + (labels ? 22 : 0))
      for (let c = 0; c < cols; c++) {
        const xx = x + g + c * (cw + g);
        if (rng.bool(0.6)) out += photo(rng, ctx, xx, yy, cw, ch, rng.pick([0, 6]));
        else out += rect(xx, yy, cw, ch, t.panel, 'rx="6"') + rect(xx + cw * 0.3, yy + ch * 0.25, cw * 0.4, ch * 0.5, t.accent, 'rx="4" opacity="0.7"');
        if (labels) out += text(xx + cw / 2, yy + ch + 16, `${rng.pick(['IMG', 'DSC', 'photo', 'scan', 'Screenshot'])}_${rng.digits(4)}.${rng.pick(['jpg', 'png', 'pdf'])}`, { size: 11, fill: t.fg, anchor: 'middle' });
      }
    return out;
  }
  if (kind === 7) {
    // social / news feed with photos
    let yy = y + 10;
    while (yy < y + h - 60) {
      out += `<circle cx="${x + 30}" cy="${yy + 20}" r="16" fill="${hsl(rng.int(0, 359), 50, 60)}"/>` + text(x + 56, yy + 18, rng.pick(PHRASES), { size: 13, weight: 'bold', fill: t.fg }) + text(x + 56, yy + 34, `${rng.int(1, 59)}${rng.pick(['m', 'h', 'd'])}`, { size: 11, fill: t.muted });
      yy += 46;
      out += text(x + 16, yy + 8, `${rng.pick(PHRASES)} ${rng.pick(PHRASES).toLowerCase()} ${rng.pick(PHRASES).toLowerCase()}`.slice(0, Math.floor(w / 7.5)), { size: 13, fill: t.fg });
      yy += 18;
      const ph = Math.min(y + h - yy - 10, w * rng.float(0.45, 0.8));
      if (ph > 40) out += photo(rng, ctx, x + 10, yy, w - 20, ph, 8);
      yy += ph + 40;
      out += rect(x, yy - 20, w, 1, t.line);
    }
    return out;
  }
  if (kind === 8) {
    // settings list with toggles
    let yy = y + 16;
    while (yy < y + h - 40) {
      out += rect(x + 16, yy, 28, 28, hsl(rng.int(0, 359), 55, 55), 'rx="7"') + text(x + 56, yy + 19, rng.pick([...PHRASES, 'Wi-Fi', 'Bluetooth', 'Notifications', 'Display', 'Battery', 'Privacy', 'Storage', 'Accounts']), { size: 14, fill: t.fg });
      if (rng.bool(0.6)) {
        const on = rng.bool();
        out += rect(x + w - 70, yy + 3, 46, 24, on ? t.accent : t.muted, 'rx="12"') + `<circle cx="${x + w - (on ? 36 : 58)}" cy="${yy + 15}" r="10" fill="#fff"/>`;
      } else out += text(x + w - 24, yy + 19, '›', { size: 18, fill: t.muted, anchor: 'end' });
      out += rect(x + 56, yy + 40, w - 56, 1, t.line);
      yy += 52;
    }
    return out;
  }
  if (kind === 9) {
    // map
    out += rect(x, y, w, h, rng.bool(0.7) ? '#eae6df' : '#2b2f36');
    for (let i = 0; i < rng.int(3, 6); i++) out += `<path d="M ${x + rng.float(0, w)} ${y} C ${x + rng.float(0, w)} ${y + h * 0.3} ${x + rng.float(0, w)} ${y + h * 0.7} ${x + rng.float(0, w)} ${y + h}" stroke="${rng.pick(['#fff', '#f7d26a', '#c9c9c9'])}" stroke-width="${rng.float(3, 12).toFixed(0)}" fill="none"/>`;
    for (let i = 0; i < rng.int(3, 8); i++) out += `<path d="M ${x} ${y + rng.float(0, h)} L ${x + w} ${y + rng.float(0, h)}" stroke="#fff" stroke-width="${rng.float(2, 6).toFixed(0)}"/>`;
    out += `<ellipse cx="${x + rng.float(0.2, 0.8) * w}" cy="${y + rng.float(0.2, 0.8) * h}" rx="${w * 0.15}" ry="${h * 0.1}" fill="#a8d5a2" opacity="0.8"/>`;
    const px = x + rng.float(0.3, 0.7) * w;
    const py = y + rng.float(0.3, 0.7) * h;
    out += `<path d="M ${px} ${py} l -12 -22 a 14 14 0 1 1 24 0 z" fill="#e53935"/>`;
    out += rect(x + 16, y + 16, Math.min(w - 32, 360), 40, t.bg, 'rx="20"') + text(x + 36, y + 41, 'Search here', { size: 14, fill: t.muted });
    return out;
  }
  if (kind === 10) {
    // web page with a hero image
    const hh = h * rng.float(0.3, 0.5);
    out += photo(rng, ctx, x, y, w, hh);
    out += text(x + 30, y + hh + 44, rng.pick(PHRASES), { size: rng.int(22, 32), weight: 'bold', fill: t.fg });
    out += textLines(rng, x + 30, y + hh + 70, w - 60, 20, Math.max(1, Math.floor((h - hh - 90) / 20)), t.muted);
    return out;
  }
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
      const n = Math.min(rng.int(2, 6), Math.floor((y + h - 20 - yy) / 20));
      if (rng.bool(0.5)) {
        // a paragraph as grey line bars (unreadable at model resolution anyway; long text lines are slow to rasterise)
        if (n > 0) out += textLines(rng, x + 30, yy - 10, Math.min(w - 60, 900), 20, n, t.muted, 0.45);
        yy += Math.max(0, n) * 20;
      } else
        for (let i = 0; i < n; i++, yy += 20) {
          let line = '';
          const chars = Math.min(110, Math.floor((w - 60) / 7.2));
          while (line.length < chars) line += rng.pick(PHRASES).toLowerCase() + ' ';
          out += text(x + 30, yy, line.slice(0, chars), { size: 13, fill: t.fg });
        }
      yy += 14;
    }
  }
  return out;
}

/** Wallpaper: a real photo under the SVG when available, else a drawn gradient. */
function wallpaper(rng: Rng, ctx: Ctx, W: number, H: number): string {
  if (ctx.opts.photos && rng.bool(0.8)) {
    ctx.slots.push({ x: 0, y: 0, w: W, h: H, under: true });
    return '';
  }
  const wid = `w${rng.u32()}`;
  return `<defs><linearGradient id="${wid}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(rng.int(0, 359), 50, rng.float(20, 60))}"/><stop offset="1" stop-color="${hsl(rng.int(0, 359), 50, rng.float(20, 60))}"/></linearGradient></defs>` + rect(0, 0, W, H, `url(#${wid})`);
}

function statusBar(rng: Rng, W: number, fg: string, bg?: string): string {
  let out = bg ? rect(0, 0, W, 34, bg) : '';
  out += text(20, 23, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')}`, { size: 14, weight: 'bold', fill: fg });
  out += rect(W - 46, 12, 26, 12, 'none', `stroke="${fg}" stroke-width="1.5" rx="3"`) + rect(W - 44, 14, 22 * rng.float(0.2, 1), 8, fg, 'rx="2"');
  for (let i = 0; i < 4; i++) out += rect(W - 90 + i * 6, 24 - (i + 1) * 3, 4, (i + 1) * 3, fg);
  if (rng.bool(0.5)) out += `<circle cx="${W / 2}" cy="17" r="7" fill="#000"/>`;
  return out;
}

function phone(rng: Rng, t: Theme, ctx: Ctx): Rendered {
  const W = rng.int(360, 430);
  const H = Math.round(W * rng.pick([19.5 / 9, 19.5 / 9, 19.5 / 9, 20 / 9, 16 / 9, 18 / 9]));
  const kind = rng.pick(['app', 'app', 'app', 'app', 'home', 'lock']);
  if (kind !== 'app') {
    let body = wallpaper(rng, ctx, W, H);
    body += statusBar(rng, W, '#fff');
    if (kind === 'lock') {
      body += text(W / 2, H * 0.22, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')}`, { size: W * 0.22, fill: '#fff', anchor: 'middle', weight: rng.bool() ? 'bold' : 'normal' });
      body += text(W / 2, H * 0.27, rng.pick(['Monday, 3 June', 'Friday 12 January', 'Sunday, October 5']), { size: 16, fill: '#fff', anchor: 'middle' });
      for (let i = 0; i < rng.int(0, 3); i++) body += rect(W * 0.05, H * (0.55 + i * 0.1), W * 0.9, H * 0.085, '#fff', 'rx="16" opacity="0.75"') + text(W * 0.1, H * (0.55 + i * 0.1) + 28, rng.pick(PHRASES), { size: 14, weight: 'bold', fill: '#222' }) + text(W * 0.1, H * (0.55 + i * 0.1) + 48, rng.pick(PHRASES).toLowerCase(), { size: 13, fill: '#444' });
    } else {
      const cols = 4;
      const cw = W / cols;
      for (let r = 0; r < rng.int(3, 6); r++)
        for (let c = 0; c < cols; c++) {
          if (rng.bool(0.1)) continue;
          const cx = cw * (c + 0.5);
          const cy = 90 + r * cw * 1.15;
          body += rect(cx - cw * 0.3, cy - cw * 0.3, cw * 0.6, cw * 0.6, hsl(rng.int(0, 359), rng.float(40, 80), rng.float(40, 65)), `rx="${cw * 0.14}"`);
          body += text(cx, cy + cw * 0.48, rng.pick(['Mail', 'Maps', 'Photos', 'Camera', 'Clock', 'Notes', 'Music', 'Files', 'Chat', 'Bank', 'Weather', 'Store']), { size: 11, fill: '#fff', anchor: 'middle' });
        }
      body += rect(W * 0.05, H - 110, W * 0.9, 90, '#fff', 'rx="28" opacity="0.3"');
      for (let i = 0; i < 4; i++) body += rect(W * 0.1 + i * W * 0.21, H - 95, W * 0.15, W * 0.15, hsl(rng.int(0, 359), 60, 50), `rx="${W * 0.035}"`);
    }
    return { ...svgDoc(W, H, body), slots: ctx.slots };
  }
  let body = rect(0, 0, W, H, t.bg);
  body += statusBar(rng, W, t.fg, t.panel);
  body += rect(0, 34, W, 52, t.panel) + text(rng.bool() ? W / 2 : 56, 67, rng.pick(PHRASES), { size: 18, weight: 'bold', fill: t.fg, anchor: 'middle' });
  body += text(18, 68, '‹', { size: 26, fill: t.accent });
  const bottomNav = rng.bool(0.7);
  body += contentArea(rng, 0, 86, W, H - 86 - (bottomNav ? 64 : 20), t, ctx);
  if (bottomNav) {
    body += rect(0, H - 64, W, 64, t.panel);
    for (let i = 0; i < 4; i++) body += `<circle cx="${(W / 4) * (i + 0.5)}" cy="${H - 38}" r="11" fill="${i === 0 ? t.accent : t.muted}"/>`;
  }
  body += rect(W * 0.35, H - 10, W * 0.3, 5, t.fg, 'rx="2.5" opacity="0.6"');
  return { ...svgDoc(W, H, body), slots: ctx.slots };
}

export function renderScreenshot(rng: Rng, opts: RenderOpts = {}): Rendered {
  const t = theme(rng);
  const ctx: Ctx = { slots: [], opts };
  const form = rng.pick(['desktop', 'desktop', 'window', 'window', 'phone', 'phone', 'tablet']);
  if (form === 'phone') return phone(rng, t, ctx);
  const W = form === 'tablet' ? rng.pick([1024, 1180, 820]) : rng.pick([1280, 1366, 1440, 1600, 1920, 1024, 2560]);
  const H = Math.round(W * (form === 'tablet' ? rng.pick([3 / 4, 4 / 3, 0.7]) : rng.pick([9 / 16, 9 / 16, 10 / 16, 3 / 4, 0.6, 0.7])));
  let body = '';
  if (form === 'desktop') {
    // wallpaper + desktop icons + taskbar/dock + one to three windows
    body += wallpaper(rng, ctx, W, H);
    const bar = rng.int(30, 48);
    const style = rng.pick(['taskbar-bottom', 'taskbar-top', 'dock']);
    const atTop = style === 'taskbar-top';
    const icons = rng.bool(0.6);
    if (icons) {
      for (let i = 0; i < rng.int(2, 9); i++) {
        const ix = (style === 'dock' ? W - 90 : 20) + (i >= 6 ? 80 : 0);
        const iy = (atTop ? bar : 0) + 20 + (i % 6) * 90;
        body += rect(ix + 12, iy, 44, 44, hsl(rng.int(0, 359), rng.float(20, 70), rng.float(40, 80)), 'rx="6"') + text(ix + 34, iy + 62, rng.pick(['Home', 'Trash', 'Documents', 'report.pdf', 'notes.txt', 'Projects', 'photo.jpg']), { size: 12, fill: '#fff', anchor: 'middle' });
      }
    }
    if (style === 'dock') {
      const dw = W * rng.float(0.35, 0.6);
      body += rect((W - dw) / 2, H - 70, dw, 62, '#fff', 'rx="16" opacity="0.35"');
      for (let x = (W - dw) / 2 + 10; x < (W + dw) / 2 - 50; x += 56) body += rect(x, H - 62, 46, 46, hsl(rng.int(0, 359), 60, 55), 'rx="11"');
      body += rect(0, 0, W, 26, rng.bool() ? '#000' : '#f3f3f3', 'opacity="0.8"');
    } else {
      body += rect(0, atTop ? 0 : H - bar, W, bar, rng.bool() ? '#202020' : '#ececec', 'opacity="0.95"');
      for (let i = 0; i < rng.int(4, 10); i++) body += rect(10 + i * (bar + 6), (atTop ? 0 : H - bar) + 5, bar - 10, bar - 10, hsl(rng.int(0, 359), 60, 55), 'rx="4"');
      body += text(W - 16, (atTop ? 0 : H - bar) + bar * 0.65, `${rng.int(1, 12)}:${String(rng.int(0, 59)).padStart(2, '0')}`, { size: 13, fill: '#999', anchor: 'end' });
    }
    // a bare desktop (no window) only with icons on it, else it is just a wallpaper
    const nWin = icons && rng.bool(0.15) ? 0 : rng.int(1, 3);
    for (let k = 0; k < nWin; k++) {
      const ww = W * rng.float(0.45, 0.9);
      const wh = (H - bar) * rng.float(0.5, 0.9);
      const wx = rng.float(0, W - ww);
      const wy = (atTop ? bar : 26) + rng.float(0, Math.max(1, H - bar - 26 - wh));
      const chrome = windowChrome(rng, wx, wy, ww, wh, k === nWin - 1 ? t : theme(rng), rng.pick(PHRASES) + ' — ' + rng.pick(['Firefox', 'Files', 'Terminal', 'Mail', 'Editor', 'Settings', 'Chrome', 'Photos', 'Calculator']));
      body += chrome.body + sidebarAnd(rng, wx, chrome.top, ww, wy + wh - chrome.top, t, ctx);
    }
    return { ...svgDoc(W, H, body), slots: ctx.slots };
  }
  const chrome = windowChrome(rng, 0, 0, W, H, t, rng.pick(PHRASES));
  body += chrome.body + sidebarAnd(rng, 0, chrome.top, W, H - chrome.top, t, ctx);
  return { ...svgDoc(W, H, body), slots: ctx.slots };
}

function sidebarAnd(rng: Rng, x: number, y: number, w: number, h: number, t: Theme, ctx: Ctx): string {
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
  out += contentArea(rng, cx, y, x + w - cx, h, t, ctx);
  if (rng.bool(0.2)) out += textLines(rng, cx + 30, y + h - 80, (x + w - cx) * 0.6, 18, 3, t.muted);
  return out;
}
