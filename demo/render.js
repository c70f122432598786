// Tensors to pictures: an RGB tile for 3 channels shown as colour, else one gray tile per channel (or per frame).

const PX = 1.25; // CSS pixels per tensor pixel

function canvasFor(width, height, scale) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * scale * PX}px`;
  canvas.style.height = `${height * scale * PX}px`;
  return canvas;
}

function paint(canvas, pixel) {
  const g = canvas.getContext('2d');
  const image = g.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const [r, gr, b] = pixel(i);
    image.data.set([r, gr, b].map((v) => Math.max(0, Math.min(255, Math.round(v * 255)))).concat(255), 4 * i);
  }
  g.putImageData(image, 0, 0);
}

function figure(canvas, label) {
  const f = document.createElement('figure');
  f.append(canvas);
  if (label) {
    const c = document.createElement('figcaption');
    c.textContent = label;
    f.append(c);
  }
  return f;
}

/**
 * Figures for a (1, C, H, W) or (1, C, D, H, W) tensor. `show`: 'rgb', or one { label, map } per channel
 * (map: value -> gray level in [0, 1]); `labels` names the channels otherwise. `scale` enlarges the tiles.
 */
export function figures(tensor, { show, labels, scale = 1 } = {}) {
  const [, C, ...spatial] = tensor.shape;
  const [H, W] = spatial.slice(-2);
  const frames = spatial.length === 3 ? spatial[0] : 1;
  const plane = H * W;
  const d = tensor.data;
  if (show === 'rgb' && C === 3) {
    const canvas = canvasFor(W, H, scale);
    paint(canvas, (i) => [d[i], d[plane + i], d[2 * plane + i]]);
    return [figure(canvas, `${W} x ${H}`)];
  }
  const out = [];
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < frames; f++) {
      const canvas = canvasFor(W, H, scale);
      const map = Array.isArray(show) ? show[c].map : (v) => v;
      const base = (c * frames + f) * plane;
      paint(canvas, (i) => {
        const v = map(d[base + i]);
        return [v, v, v];
      });
      const name = Array.isArray(show) ? show[c].label : (labels?.[c] ?? '');
      out.push(figure(canvas, frames > 1 ? `frame ${f}` : [name, `${W} x ${H}`].filter(Boolean).join(', ')));
    }
  }
  return out;
}

/** Draws the taps of a dilated 3x3 kernel (one colour per dilation) and the stack's field on a picture's figure. */
export function overlayTaps(fig, size, dilations, field, colors) {
  const canvas = fig.querySelector('canvas');
  const g = canvas.getContext('2d');
  const c = Math.floor(size / 2);
  dilations.forEach((d, i) => {
    g.fillStyle = colors[i];
    for (const dy of [-d, 0, d]) for (const dx of [-d, 0, d]) g.fillRect(c + dx - 0.5, c + dy - 0.5, 2, 2);
  });
  g.strokeStyle = '#e3342f';
  g.lineWidth = 1;
  g.strokeRect(c - (field - 1) / 2 - 0.5, c - (field - 1) / 2 - 0.5, field, field);
}
