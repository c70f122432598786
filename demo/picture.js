// The pictures the playground works on, drawn by code: nothing to download, the same on every machine up to
// font rendering.

/** A small landscape (sky, sun, hills, a house, a word) as RGB planes in [0, 1]: a (1, 3, size, size) tensor. */
export function landscape(size = 128) {
  const canvas = new OffscreenCanvas(size, size);
  const g = canvas.getContext('2d');
  const s = size / 128;
  const sky = g.createLinearGradient(0, 0, 0, size);
  sky.addColorStop(0, '#5b8fd6');
  sky.addColorStop(0.6, '#cfe3f7');
  g.fillStyle = sky;
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#ffd23f';
  g.beginPath();
  g.arc(96 * s, 28 * s, 13 * s, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#4c8c3a';
  g.beginPath();
  g.moveTo(0, 92 * s);
  g.quadraticCurveTo(40 * s, 58 * s, 78 * s, 86 * s);
  g.quadraticCurveTo(104 * s, 70 * s, 128 * s, 84 * s);
  g.lineTo(128 * s, 128 * s);
  g.lineTo(0, 128 * s);
  g.fill();
  g.fillStyle = '#b5482b';
  g.fillRect(22 * s, 70 * s, 26 * s, 22 * s);
  g.fillStyle = '#6b2a17';
  g.beginPath();
  g.moveTo(18 * s, 71 * s);
  g.lineTo(35 * s, 56 * s);
  g.lineTo(52 * s, 71 * s);
  g.fill();
  g.fillStyle = '#f5e6a8';
  g.fillRect(28 * s, 76 * s, 6 * s, 6 * s);
  g.fillStyle = '#ffffff';
  g.font = `bold ${16 * s}px sans-serif`;
  g.fillText('simdconv', 40 * s, 118 * s);
  return toTensor(g.getImageData(0, 0, size, size));
}

function toTensor({ data, width, height }) {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[4 * i + c] / 255;
  return { data: out, shape: [1, 3, height, width] };
}

/** Luminance of an RGB tensor: (1, 1, H, W). */
export function gray({ data, shape: [, , H, W] }) {
  const plane = H * W;
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) out[i] = 0.299 * data[i] + 0.587 * data[plane + i] + 0.114 * data[2 * plane + i];
  return { data: out, shape: [1, 1, H, W] };
}

/** A ball crossing a textured background: (1, 1, frames, size, size) for conv3d. */
export function movingBall(frames = 8, size = 48) {
  const out = new Float32Array(frames * size * size);
  for (let t = 0; t < frames; t++) {
    const cx = 8 + t * ((size - 16) / (frames - 1));
    const cy = size / 2 + 8 * Math.sin(t / 2);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const background = 0.25 + 0.1 * Math.sin(x / 3) * Math.cos(y / 4);
        out[(t * size + y) * size + x] = Math.hypot(x - cx, y - cy) < 6 ? 1 : background;
      }
    }
  }
  return { data: out, shape: [1, 1, frames, size, size] };
}
