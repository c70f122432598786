/**
 * Getting a GPUDevice: `navigator.gpu` in browsers (and Deno); in Node the optional `webgpu` package (Dawn),
 * which src/platform/node.ts loads. Never throws: returns the device or the reason there is none, which the
 * context turns into a fallback warning or a BACKEND_UNAVAILABLE error.
 */
/// <reference types="@webgpu/types" preserve="true" />
import { platform } from '../../platform/platform.js';

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
  { readonly ok: true; readonly device: GPUDevice; readonly info: AdapterInfo; readonly owned: boolean } | { readonly ok: false; readonly reason: string };

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
  const gpu = await platform().gpu();
  if (typeof gpu === 'string') return { ok: false, reason: gpu };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(powerPreference ? { powerPreference } : undefined);
  } catch (e) {
    return { ok: false, reason: `requestAdapter() failed: ${(e as Error).message}` };
  }
  if (adapter === null) {
    return {
      ok: false,
      reason:
        platform().name === 'node'
          ? 'requestAdapter() returned null: no usable GPU or CPU Vulkan driver (on Debian: Mesa lavapipe, package mesa-vulkan-drivers >= 25)'
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
