/**
 * The op registry: every package entry that holds public ops ('simdconv/<entry>', a module in src/ops/), the
 * names it adds to the main entry, and the ops the WebGPU context runs. scripts/gen-entries.mjs derives from it
 * the main entry's op exports (src/ops/index.ts), the Node twins of the entries (src/node/) and package.json's
 * exports; src/backends/webgpu/context.ts derives its methods. Adding an op: its module here in src/ops/, an
 * entry below, its line in the README. Plain data (a literal the generator reads): keep it so.
 */
export const OP_ENTRIES = {
  conv1d: { values: ['conv1d', 'createConv1d'], types: [] },
  conv2d: { values: ['conv2d', 'createConv2d'], types: [] },
  conv3d: { values: ['conv3d', 'createConv3d'], types: [] },
  convTranspose1d: { values: ['convTranspose1d', 'createConvTranspose1d'], types: [] },
  convTranspose2d: { values: ['convTranspose2d', 'createConvTranspose2d'], types: [] },
  convTranspose3d: { values: ['convTranspose3d', 'createConvTranspose3d'], types: [] },
  'depthwise-separable': {
    values: ['depthwiseSeparableConv1d', 'depthwiseSeparableConv2d', 'createDepthwiseSeparableConv1d', 'createDepthwiseSeparableConv2d'],
    types: ['DepthwiseSeparableOptions', 'DepthwiseSeparablePlanOptions'],
  },
  'spatially-separable': {
    values: ['spatiallySeparableConv2d', 'createSpatiallySeparableConv2d', 'factorizeSeparableKernel'],
    types: ['SpatiallySeparableOptions', 'SpatiallySeparablePlanOptions', 'SeparableFactors', 'FactorizeOptions'],
  },
  pool: {
    values: [
      'maxPool1d',
      'maxPool2d',
      'maxPool3d',
      'avgPool1d',
      'avgPool2d',
      'avgPool3d',
      'adaptiveAvgPool1d',
      'adaptiveAvgPool2d',
      'adaptiveAvgPool3d',
      'adaptiveMaxPool1d',
      'adaptiveMaxPool2d',
      'adaptiveMaxPool3d',
      'createMaxPool1d',
      'createMaxPool2d',
      'createMaxPool3d',
      'createAvgPool1d',
      'createAvgPool2d',
      'createAvgPool3d',
      'createAdaptiveAvgPool1d',
      'createAdaptiveAvgPool2d',
      'createAdaptiveAvgPool3d',
      'createAdaptiveMaxPool1d',
      'createAdaptiveMaxPool2d',
      'createAdaptiveMaxPool3d',
    ],
    types: ['MaxPoolOptions', 'AvgPoolOptions', 'AdaptivePoolOptions', 'AdaptiveSize', 'IndexTensor', 'PoolPlan', 'PoolPlanInfo'],
  },
  linear: { values: ['linear', 'createLinear'], types: ['LinearPlan'] },
  interpolate: { values: ['interpolate', 'createInterpolate'], types: ['InterpolateMode', 'InterpolateOptions', 'InterpolatePlan', 'InterpolatePlanInfo'] },
  'batch-norm': {
    values: ['batchNorm', 'createBatchNorm', 'foldBatchNorm'],
    types: ['BatchNormOptions', 'BatchNormPlan', 'FoldBatchNormOptions'],
  },
  flattened: { values: ['flattenedConv2d', 'createFlattenedConv2d'], types: ['FlattenedConvOptions', 'FlattenedConvPlanOptions'] },
  'channel-shuffle': {
    values: ['channelShuffle', 'shuffledGroupConv2d', 'createShuffledGroupConv2d'],
    types: ['ChannelShuffleOptions', 'ShuffledGroupConvOptions', 'ShuffledGroupConvPlanOptions'],
  },
} as const;

/**
 * The ops of the WebGPU context (GpuContext): each as a one-shot function and a `create` plan (createConv2d),
 * resolved as a convolution or a transposed convolution.
 */
export const GPU_OPS = {
  conv1d: 'conv',
  conv2d: 'conv',
  conv3d: 'conv',
  convTranspose1d: 'transposed',
  convTranspose2d: 'transposed',
  convTranspose3d: 'transposed',
} as const;

export type GpuOpName = keyof typeof GPU_OPS;
