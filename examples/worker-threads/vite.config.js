// Threads need a cross-origin isolated page: these two headers, in development and in `vite preview`.
// In production, send the same two headers from your server or CDN.
const headers = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default { server: { headers }, preview: { headers } };
