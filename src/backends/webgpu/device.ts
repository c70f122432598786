/**
 * Getting a GPUDevice: `navigator.gpu` in browsers (and Deno); in Node the optional `webgpu` npm package
 * (Dawn), imported dynamically so that browser bundles never see it. Never throws: returns the device or the
 * reason there is none, which the context turns into a fallback warning or a BACKEND_UNAVAILABLE error.
 */
/// <reference types="@webgpu/types" />

export interface AdapterInfo {
  /** Adapter description, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" or a GPU's name; '' where hidden. */
  readonly name: string;
  readonly vendor: string;
  readonly architecture: string;
  /** True for software adapters (lavapipe, SwiftShader): fine for correctness, not for speed. */
  readonly isFallbackAdapter: boolean;
}

/** What the kernels need beyond WebGPU's defaults is nothing; large tensors want the adapter's buffer limits. */
export const REQUIRED_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBuffersPerShaderStage: 5,
} as const;

export type Acquired =
  | { readonly ok: true; readonly device: GPUDevice; readonly info: AdapterInfo; readonly owned: boolean }
  | { readonly ok: false; readonly reason: string };

let nodeGpu: Promise<GPU | string> | null = null;

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Node: the `webgpu` package's GPU object, created once per process (or why it cannot be). */
function loadNodeGpu(): Promise<GPU | string> {
  nodeGpu ??= (async () => {
    const specifier = 'webgpu'; // a variable, so bundlers do not try to resolve a Node-only package
    let mod: DawnModule;
    try {
      mod = (await import(specifier)) as DawnModule;
    } catch (e) {
      return `the optional 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`;
    }
    // Dawn's GPUBufferUsage, GPUMapMode, ... as globals, without replacing any the host already has.
    for (const [key, value] of Object.entries(mod.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
    try {
      return mod.create([]);
    } catch (e) {
      return `webgpu.create() failed: ${(e as Error).message}`;
    }
  })();
  return nodeGpu;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const infoFallback = (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    name: info?.description || info?.device || [info?.vendor, info?.architecture].filter(Boolean).join(' '),
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    isFallbackAdapter: Boolean(infoFallback ?? legacyFallback ?? false),
  };
}

export async function acquireDevice(powerPreference: GPUPowerPreference | undefined): Promise<Acquired> {
  let gpu: GPU | undefined = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    if (!isNode()) return { ok: false, reason: 'navigator.gpu is undefined (this browser has no WebGPU, or it is disabled)' };
    const loaded = await loadNodeGpu();
    if (typeof loaded === 'string') return { ok: false, reason: loaded };
    gpu = loaded;
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(powerPreference ? { powerPreference } : undefined);
  } catch (e) {
    return { ok: false, reason: `requestAdapter() failed: ${(e as Error).message}` };
  }
  if (adapter === null) {
    return {
      ok: false,
      reason: isNode()
        ? 'requestAdapter() returned null: no usable GPU or CPU Vulkan driver (scripts/setup-webgpu.sh installs Mesa lavapipe)'
        : 'requestAdapter() returned null: no usable GPU adapter',
    };
  }
  const limits = adapter.limits as unknown as Record<string, number>;
  const requiredLimits: Record<string, number> = {};
  for (const [key, need] of Object.entries(REQUIRED_LIMITS)) {
    if ((limits[key] ?? 0) < need) return { ok: false, reason: `the adapter's ${key} is ${limits[key]}, below the ${need} the kernels need` };
    requiredLimits[key] = need;
  }
  // Large tensors: as much as the adapter allows (the defaults are 128 / 256 MiB).
  for (const key of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) requiredLimits[key] = limits[key]!;
  try {
    const device = await adapter.requestDevice({ requiredLimits });
    return { ok: true, device, info: describeAdapter(adapter), owned: true };
  } catch (e) {
    return { ok: false, reason: `requestDevice() failed: ${(e as Error).message}` };
  }
}

/** A caller-provided device must meet the same limits. */
export function checkDeviceLimits(device: GPUDevice): string | null {
  const limits = device.limits as unknown as Record<string, number>;
  for (const [key, need] of Object.entries(REQUIRED_LIMITS)) {
    if ((limits[key] ?? 0) < need) return `the given device's ${key} is ${limits[key]}, below the ${need} the kernels need`;
  }
  return null;
}
