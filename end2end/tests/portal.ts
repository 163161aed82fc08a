// Where the portal started by global-setup.ts listens.
export function portalUrl(path = '/'): string {
  const base = process.env.FLOTILLA_URL;
  if (!base) throw new Error('FLOTILLA_URL is not set: global-setup.ts did not start the portal');
  return new URL(path, base).toString();
}
