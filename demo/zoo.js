// The convolution zoo of the lessons, as data. Each card has variants; a variant says which public op it
// demonstrates (`run`), the same computation as plain convolution steps (`steps`: what the thread Worker and
// WebGPU run, and what the float64 reference checks), and how to show its output.
import { factorizeSeparableKernel } from 'simdconv';
import { gray, landscape, movingBall } from './picture.js';

const t = (shape, values) => ({ data: Float32Array.from(values), shape });
const outer = (a, b) => a.flatMap((x) => b.map((y) => x * y));

/** A 3x3 kernel in the middle of a 5x5 one. */
const embed5 = (k3) => Array.from({ length: 25 }, (_, i) => (i % 5 >= 1 && i % 5 <= 3 && i >= 5 && i < 20 ? k3[(Math.floor(i / 5) - 1) * 3 + (i % 5) - 1] : 0));

const LAPLACIAN = [0, 1, 0, 1, -4, 1, 0, 1, 0];
const SHARPEN = [0, -1, 0, -1, 5, -1, 0, -1, 0];
const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2];
const BINOMIAL5 = [1, 4, 6, 4, 1].map((v) => v / 16);
const BOX3 = new Array(9).fill(1 / 9);
const SEPIA = [0.393, 0.769, 0.189, 0.349, 0.686, 0.168, 0.272, 0.534, 0.131];

// How output values become gray levels.
const clamp = (v) => v;
const abs = (s) => (v) => Math.abs(v) * s;
const signed = (s) => (v) => 0.5 + v * s;

/** Area downsampling in JS (setup for the transposed card, not a demonstrated op). */
function shrink({ data, shape: [, C, H, W] }, f) {
  const h = H / f,
    w = W / f;
  const out = new Float32Array(C * h * w);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(c * h + Math.floor(y / f)) * w + Math.floor(x / f)] += data[(c * H + y) * W + x] / (f * f);
  return { data: out, shape: [1, C, h, w] };
}

/** A single-conv variant: the op, its weight and options, shown per output channel. */
function conv(label, op, weight, options, show, extra = {}) {
  const args = { weight, bias: null, options };
  return {
    label,
    code: `${op}(x, w${JSON.stringify(weight.shape).replaceAll(',', ', ')}, null, ${JSON.stringify(options).replaceAll('"', '').replaceAll(',', ', ').replaceAll(':', ': ')})`,
    steps: [{ op, ...args }],
    run: (sc, x) => sc[op](x, weight, null, options),
    show,
    ...extra,
  };
}

export function cards() {
  const rgb = landscape(128);
  const luma = gray(rgb);

  const gaussian7 = outer([1, 6, 15, 20, 15, 6, 1], [1, 6, 15, 20, 15, 6, 1]).map((v) => v / 4096);
  const separable = factorizeSeparableKernel(t([1, 1, 7, 7], gaussian7));

  const dw = t([3, 1, 3, 3], [...BOX3, ...BOX3, ...BOX3]);
  const pw = t([3, 3, 1, 1], SEPIA);
  // pointwise after depthwise is one 3x3 convolution whose kernel is their product.
  const composed = t(
    [3, 3, 3, 3],
    SEPIA.flatMap((m) => BOX3.map((v) => v * m)),
  );

  const four = { data: new Float32Array([...rgb.data, ...luma.data]), shape: [1, 4, 128, 128] };
  const grouped = t(
    [4, 2, 3, 3],
    [...BOX3, ...new Array(9).fill(0), ...new Array(9).fill(0), ...LAPLACIAN, ...BOX3, ...new Array(9).fill(0), ...new Array(9).fill(0), ...LAPLACIAN],
  );

  const blurDiff = t([1, 1, 3, 3, 3], [...BOX3.map((v) => -v), ...new Array(9).fill(0), ...BOX3]);

  return [
    {
      id: 'filters',
      title: 'Filters on one channel',
      text: 'Each output channel is one 5x5 kernel slid over the picture: four classic image filters in one conv2d call (Cout = 4). Padding 2 keeps the size.',
      input: luma,
      variants: [
        conv(
          'edges, blur, sharpen, emboss',
          'conv2d',
          t([4, 1, 5, 5], [...embed5(LAPLACIAN), ...outer(BINOMIAL5, BINOMIAL5), ...embed5(SHARPEN), ...embed5(EMBOSS)]),
          { padding: 2 },
          [
            { label: 'edges (Laplacian)', map: abs(3) },
            { label: 'blur (Gaussian)', map: clamp },
            { label: 'sharpen', map: clamp },
            { label: 'emboss', map: signed(0.5) },
          ],
        ),
      ],
    },
    {
      id: 'channels',
      title: 'Filters on three channels',
      text: 'A kernel spans every input channel. A 1x1 kernel mixes channels pixel by pixel: a colour matrix (sepia). A 3x3x3 kernel sums a Laplacian over R, G and B into one edge map.',
      input: rgb,
      variants: [
        conv('1x1: a colour matrix', 'conv2d', t([3, 3, 1, 1], SEPIA), {}, 'rgb'),
        conv('3x3 over R, G, B: one edge map', 'conv2d', t([1, 3, 3, 3], [...LAPLACIAN, ...LAPLACIAN, ...LAPLACIAN]), { padding: 1 }, [
          { label: 'edges', map: abs(2) },
        ]),
      ],
    },
    {
      id: 'stride',
      title: 'Stride and padding',
      text: 'Stride s moves the kernel s pixels at a time; padding p adds p zeros around the picture. Outputs are drawn at their true size.',
      input: luma,
      variants: [
        [1, 1],
        [2, 1],
        [2, 0],
        [3, 0],
      ].map(([stride, padding]) =>
        conv(`stride ${stride}, padding ${padding}`, 'conv2d', t([1, 1, 3, 3], BOX3), { stride, padding }, [{ label: '', map: clamp }], { trueSize: true }),
      ),
    },
    {
      id: 'dilation',
      title: 'Dilation and the receptive field',
      text: 'Dilation d spreads the 3x3 taps d pixels apart: the same 9 weights see a wider field. The dots on the picture are the taps at d = 1, 2, 4; stacked, the three layers see the square.',
      input: luma,
      inputScale: 2,
      receptive: [1, 2, 4],
      variants: [1, 2, 4].map((d) => conv(`dilation ${d}`, 'conv2d', t([1, 1, 3, 3], LAPLACIAN), { padding: d, dilation: d }, [{ label: '', map: abs(3) }])),
    },
    {
      id: 'transposed',
      title: 'Transposed convolution: upsampling',
      text: 'A transposed convolution spreads every input pixel over a k x k patch of the output, s pixels apart: with a bilinear kernel, stride 2 doubles the size and stride 4 quadruples it.',
      input: shrink(luma, 4),
      inputScale: 4,
      variants: [
        conv(
          'stride 2, kernel 4, padding 1',
          'convTranspose2d',
          t(
            [1, 1, 4, 4],
            outer([1, 3, 3, 1], [1, 3, 3, 1]).map((v) => v / 16),
          ),
          { stride: 2, padding: 1 },
          [{ label: '', map: clamp }],
        ),
        conv(
          'stride 4, kernel 8, padding 2',
          'convTranspose2d',
          t(
            [1, 1, 8, 8],
            outer([1, 3, 5, 7, 7, 5, 3, 1], [1, 3, 5, 7, 7, 5, 3, 1]).map((v) => v / 64),
          ),
          { stride: 4, padding: 2 },
          [{ label: '', map: clamp }],
        ),
      ],
    },
    {
      id: 'depthwise-separable',
      title: 'Depthwise-separable convolution',
      text: 'A depthwise 3x3 convolution filters each channel on its own (groups = C), then a 1x1 convolution mixes the channels: the result of one full 3x3 convolution whose kernel is their product, with 36 weights instead of 81.',
      input: rgb,
      variants: [
        {
          label: 'depthwise 3x3 (blur) then 1x1 (sepia)',
          code: 'depthwiseSeparableConv2d(x, dw[3, 1, 3, 3], pw[3, 3, 1, 1], { padding: 1 })',
          steps: [
            { op: 'conv2d', weight: dw, bias: null, options: { padding: 1, groups: 3 } },
            { op: 'conv2d', weight: pw, bias: null, options: {} },
          ],
          run: (sc, x) => sc.depthwiseSeparableConv2d(x, dw, pw, { padding: 1 }),
          show: 'rgb',
        },
        conv('one full 3x3 convolution', 'conv2d', composed, { padding: 1 }, 'rgb'),
      ],
    },
    {
      id: 'spatially-separable',
      title: 'Spatially separable convolution',
      text: 'A rank-1 kernel is a column times a row: factorizeSeparableKernel splits this 7x7 Gaussian into 7x1 and 1x7, and two thin convolutions give the one-step result with 14 weights instead of 49.',
      input: luma,
      variants: [
        {
          label: '7x1 then 1x7',
          code: 'spatiallySeparableConv2d(x, column[1, 1, 7, 1], row[1, 1, 1, 7], { padding: 3 })',
          steps: [
            { op: 'conv2d', weight: separable.column, bias: null, options: { padding: [3, 0] } },
            { op: 'conv2d', weight: separable.row, bias: null, options: { padding: [0, 3] } },
          ],
          run: (sc, x) => sc.spatiallySeparableConv2d(x, separable.column, separable.row, { padding: 3 }),
          show: [{ label: '', map: clamp }],
          compareWith: 1,
        },
        conv('one 7x7 convolution', 'conv2d', t([1, 1, 7, 7], gaussian7), { padding: 3 }, [{ label: '', map: clamp }]),
      ],
    },
    {
      id: 'shuffle',
      title: 'Grouped convolution and channel shuffle',
      text: 'With groups = 2, output channels 0-1 see only input channels 0-1 (R, G) and outputs 2-3 only inputs 2-3 (B, gray): half the weights. A channel shuffle then interleaves the groups (0, 2, 1, 3), so the next grouped layer mixes them.',
      input: four,
      inputLabels: ['R', 'G', 'B', 'gray'],
      variants: [
        {
          label: 'groups 2, then shuffle',
          code: 'shuffledGroupConv2d(x, w[4, 2, 3, 3], null, { groups: 2, padding: 1 })',
          steps: [{ op: 'conv2d', weight: grouped, bias: null, options: { groups: 2, padding: 1 } }, { shuffle: 2 }],
          run: (sc, x) => sc.shuffledGroupConv2d(x, grouped, null, { groups: 2, padding: 1 }),
          show: [
            { label: '0: blur(R)', map: clamp },
            { label: '2: blur(B)', map: clamp },
            { label: '1: edges(G)', map: abs(3) },
            { label: '3: edges(gray)', map: abs(3) },
          ],
        },
      ],
    },
    {
      id: 'conv3d',
      title: '3-D convolution over frames',
      text: 'A 3x3x3 kernel also slides along time: next frame minus previous frame, each blurred, lights up what moves and leaves the still background dark (replicate padding repeats the first and last frames).',
      input: movingBall(8, 48),
      variants: [conv('3x3x3: temporal difference', 'conv3d', blurDiff, { padding: 1, paddingMode: 'replicate' }, [{ label: '', map: abs(2) }])],
    },
  ];
}
