// Module resolution hook (node:module register): `electron` -> the harness's stand-in.
const standIn = new URL('./electron-stand-in.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: standIn, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
